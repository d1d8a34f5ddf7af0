"""GET /api/fib/{n}: the CPU-bound test, naive recursion on every request."""

from fastapi import APIRouter

from ..params import decimal_int

router = APIRouter(prefix="/api/fib", tags=["fib"])


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


# Computed on the event loop: with one vCPU a thread would only add a hop and GIL contention.
@router.get("/{n}")
async def get_fib(n: str) -> dict[str, int]:
    number = decimal_int(n, ("path", "n"), 0, 35)
    return {"n": number, "fibonacci": fib(number)}
