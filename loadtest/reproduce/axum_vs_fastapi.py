"""Write-up 2: FastAPI vs Axum with Postgres (lukehsiao/axum-fastapi)."""

from __future__ import annotations

from .base import Protocol, Rung, Step

POOL = {"POOL_SIZE": "5"}  # the write-up's pool of 5 on both sides

PROTOCOL = Protocol(
    name="axum-vs-fastapi",
    title="FastAPI vs Axum with PostgreSQL",
    source="lukehsiao/axum-fastapi (README)",
    claim=("SELECT 100 users, `oha -n 50000 -c 10 --disable-keepalive`, pool of 5: FastAPI "
           "(SQLAlchemy + pydantic, uvicorn, 1 worker) 305 req/s, p50 30.0 ms, p99 74.6 ms, "
           "83 MiB; Axum 9,740 req/s, p50 1.0 ms, p99 1.4 ms, 10 MiB (32x)."),
    conditions="a laptop, PostgreSQL local, both apps unconstrained",
    tool="oha -n 50000 -c 10 --disable-keepalive",
    shape="closed loop, 10 connections, a new TCP connection per request, a fixed request count",
    rungs=(
        Rung("fastapi_pooled", "FastAPI + SQLAlchemy + pydantic on uvicorn, 1 worker",
             "the write-up's app is SQLAlchemy sessions from a pool with pydantic response models "
             "on one uvicorn worker: fastapi_pooled's users endpoint is the same (SQLAlchemy 2 "
             "async on asyncpg instead of the sync engine)", POOL),
        Rung("rust_axum", "Axum + sqlx, pool of 5",
             "axum on tokio with a PostgreSQL pool; tokio-postgres + deadpool instead of sqlx", POOL),
        Rung("fastapi_tuned", "(this project's own rung: the best FastAPI under the fairness rules)",
             "shows how much of the gap is FastAPI and how much is SQLAlchemy and uvicorn", POOL),
    ),
    steps=(
        Step("users", "users", "oha-n", ("rust_axum", "fastapi_pooled", "fastapi_tuned"), "rust_axum",
             "fastapi_pooled", 32.0, users=(10,), duration_s=240.0, requests=20_000, keepalive=False,
             expected_s={"fastapi_pooled": 65, "rust_axum": 5, "fastapi_tuned": 10},
             claimed={"fastapi_pooled": "305 req/s, p50 30.0 ms, p99 74.6 ms, 83 MiB",
                      "rust_axum": "9,740 req/s, p50 1.0 ms, p99 1.4 ms, 10 MiB"}),
    ),
    differences=(
        ("20,000 requests per round instead of 50,000, three rounds (60,000 per rung in all): "
        "three interleaved rounds with an interval say more than one long run, in the time budget."),
        ("Each service is held to 1 vCPU on its own core; the write-up's apps ran unconstrained on "
        "a laptop, so Axum could use several cores there: its ratio there is larger for that reason."),
    ),
    sweep_scenarios=("users",),
)
