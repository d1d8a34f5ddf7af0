from typing import Annotated

from fastapi import APIRouter, Path

from app.api.params import DecimalDigits
from app.models import FibOut

router = APIRouter(tags=["fib"])


def fib(n: int) -> int:
    """The naive double recursion the contract asks for: the CPU-bound test."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@router.get("/fib/{n}", response_model=FibOut)
async def get_fib(n: Annotated[int, Path(ge=0, le=35), DecimalDigits]) -> FibOut:
    # Computed inside the async endpoint: it blocks the event loop while it runs.
    return FibOut(n=n, fibonacci=fib(n))
