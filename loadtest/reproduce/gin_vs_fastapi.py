"""Write-up 3: FastAPI vs Go Gin, CPU-bound vs I/O-bound (a blog post)."""

from __future__ import annotations

from .base import Protocol, Rung, Step

PROTOCOL = Protocol(
    name="gin-vs-fastapi",
    title="FastAPI vs Go Gin: CPU-bound and I/O-bound",
    source="a blog post (FastAPI vs Gin with ApacheBench; no repository)",
    claim=("`ab -c 100 -n 1000` on /fib/35 and on an endpoint calling an external API with 500 ms "
           "latency: Go wins the CPU-bound test; async FastAPI holds up on the I/O-bound one."),
    conditions="one machine, both apps unconstrained, a mock upstream with 500 ms latency",
    tool="ab -c 100 -n 1000 (ApacheBench, HTTP/1.0, a connection per request)",
    shape="closed loop, 100 connections, 1,000 requests per endpoint",
    rungs=(
        Rung("fastapi_pooled", "the async FastAPI app (uvicorn, async httpx client)",
             "async endpoints on one uvicorn worker with one shared httpx client, fib computed "
             "in the async endpoint: the blog's FastAPI app"),
        Rung("go_stdlib", "the Gin app",
             "no Gin here: Go's net/http is what Gin routes on, and routing is not what fib(35) "
             "or a 500 ms upstream measure"),
    ),
    steps=(
        Step("fib", "fib", "ab", ("go_stdlib", "fastapi_pooled"), "go_stdlib", "fastapi_pooled", 1.0,
             kind="direction", users=(100,), duration_s=60.0, requests=1000, keepalive=False, params={"fib_n": 30},
             expected_s={"fastapi_pooled": 80, "go_stdlib": 8},
             claimed={"fastapi_pooled": "loses (qualitative)", "go_stdlib": "wins (qualitative)"}),
        Step("io", "fetch-external", "ab", ("go_stdlib", "fastapi_pooled"), "go_stdlib",
             "fastapi_pooled", 1.0, kind="parity", users=(100,), duration_s=60.0, requests=1000,
             keepalive=False, expected_s={"fastapi_pooled": 8, "go_stdlib": 8},
             claimed={"fastapi_pooled": "holds up (qualitative)", "go_stdlib": "similar (qualitative)"}),
    ),
    differences=(
        ("fib(30), not fib(35): one CPython fib(35) takes seconds on one core, so 1,000 of them "
        "would take most of an hour; both rungs run the same recursion, so the ratio does not "
        "depend on n (fib(35) is 11x fib(30) for both)."),
        ("Each measurement is bounded to 60 s (ab -t): a rung that cannot answer 1,000 requests in "
        "that time is measured on what it answered, and the replay waits for it to go idle."),
    ),
    sweep_scenarios=("fib", "fetch-external"),
)
