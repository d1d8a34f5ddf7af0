"""Write-up 1: FastAPI vs the Go standard library (antonputra/tutorials, lesson 231)."""

from __future__ import annotations

from .base import Protocol, Ramp, Rung, Step

POOL = {"POOL_SIZE": "500"}  # the write-up's PostgreSQL and memcached pools

PROTOCOL = Protocol(
    name="go-vs-fastapi",
    title="FastAPI vs the Go standard library",
    source="antonputra/tutorials, lessons/231 (video and repository)",
    claim=("GET devices: FastAPI peaked near 13,000 req/s and Go near 62,000 (4.8x); FastAPI's "
           "availability fell to zero when overloaded. POST devices (PostgreSQL insert + memcached "
           "set, pools of 500): FastAPI with 4 workers reached 800 req/s, Go passed 35,000 and "
           "failed only on a file-descriptor limit (at least 44x)."),
    conditions=("Kubernetes on m7a.large (2 vCPU), one app per pod, PostgreSQL and memcached "
                "beside it; client-side p99, CPU, throttling and availability from Prometheus."),
    tool="its own load client in Kubernetes, ramping until failure (not a package here: oha "
         "closed loop for the peaks, oha open loop (-q, --latency-correction) for the ramp)",
    shape="load ramped until each app failed; peak = the highest throughput before failure",
    rungs=(
        Rung("fastapi_pooled", "the FastAPI app (uvicorn, SQLAlchemy async engine, pools of 500)",
             "the write-up's app opens a SQLAlchemy async engine with a pool once, runs uvicorn "
             "without access log: fastapi_pooled is that app. It serves with 1 worker, not 4: the "
             "fairness rules give every stack 1 vCPU (the write-up's 4 workers shared 2 vCPUs).",
             POOL),
        Rung("go_stdlib", "the Go app (net/http, pgx pool, memcache client)",
             "the same stack: the standard library's net/http with a pgx pool", POOL),
    ),
    steps=(
        Step("get", "devices-get", "oha", ("go_stdlib", "fastapi_pooled"), "go_stdlib",
             "fastapi_pooled", 4.8, users=(50, 100), duration_s=10.0,
             claimed={"fastapi_pooled": "about 13,000 req/s", "go_stdlib": "about 62,000 req/s"}),
        Step("post", "devices-post", "oha", ("go_stdlib", "fastapi_pooled"), "go_stdlib",
             "fastapi_pooled", 44.0, kind="at_least", users=(50, 100), duration_s=10.0,
             claimed={"fastapi_pooled": "800 req/s (4 workers)",
                      "go_stdlib": "over 35,000 req/s, then a file-descriptor limit"}),
    ),
    ramps=(
        Ramp("get-overload", "devices-get", "oha", "fastapi_pooled", "go_stdlib",
             loads=(50, 100, 150, 200, 300), step_s=10.0, open_loop=True, vus=500,
             claimed="FastAPI's availability fell to zero once the load passed its peak; Go kept serving"),
    ),
    differences=(
        ("One pinned core per service with a 1-vCPU quota, not a 2-vCPU pod: absolute figures are "
        "about half the write-up's; the ratio is what carries over."),
        ("FastAPI runs 1 uvicorn worker (the write-up: 4 on the POST test), as the fairness rules "
        "require; 4 workers on 1 vCPU would only add context switches."),
        ("The ramp's rates are percentages (50..300 %) of the FastAPI rung's measured peak, so that "
        "it overloads the service on any machine. oha drives it (500 connections), not k6: on "
        "one core k6 could not offer much more than FastAPI's peak, so it would have bounded the ramp "
        "itself. The write-up's availability fell to zero partly through Kubernetes (probes, "
        "restarts); here nothing restarts the service, so overload shows as arrivals it could not take."),
    ),
    sweep_scenarios=("devices-get", "devices-post"),
)
