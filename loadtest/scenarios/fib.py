"""GET /api/fib/{n}: the naive recursion, CPU-bound (FastAPI vs Gin); n from --fib-n."""

from .base import Param, Scenario

FIB = Scenario("fib", "GET", "/api/fib/{fib_n}", 200,
               summary="naive recursive Fibonacci, CPU-bound (FastAPI vs Gin)",
               params=(Param("fib_n", 25, "--fib-n", "n of GET /api/fib/{n}"),))
