"""GET /api/fib/{n}: the CPU-bound test, naive recursion on every request."""

from typing import Annotated

from fastapi import APIRouter, Path

router = APIRouter(prefix="/api/fib", tags=["fib"])


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


# Computed on the event loop: with one vCPU a thread would only add a hop and GIL contention.
@router.get("/{n}")
async def get_fib(n: Annotated[int, Path(ge=0, le=35)]) -> dict[str, int]:
    return {"n": n, "fibonacci": fib(n)}
