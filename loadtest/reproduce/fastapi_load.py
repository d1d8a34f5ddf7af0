"""Write-up 4: How fast can a FastAPI app go? (odarbelaeze's load test with locust)."""

from __future__ import annotations

from .base import Protocol, Ramp, Rung, Step

PROTOCOL = Protocol(
    name="fastapi-load",
    title="How fast can a FastAPI app go?",
    source="odarbelaeze/fullstack-template (api/) and its load-test write-up",
    claim=("A ping endpoint under uvicorn: 800-2,000 req/s with access logs, 3,100 without in "
           "Docker, 4,700 natively; Gin 13,000, where locust itself was the limit. Listing tasks "
           "with a new psycopg connection per request: about 200 req/s, then a crash with \"too "
           "many clients\" after a few hundred connections; with psycopg_pool: about 900 req/s and "
           "no errors (4.5x)."),
    conditions="a laptop, Docker and native runs, PostgreSQL with its default max_connections (100)",
    tool="locust (headless), users added until failure",
    shape="closed loop, locust users without wait time",
    rungs=(
        Rung("fastapi_naive", "the first version: a database connection per request",
             "fastapi_naive connects to PostgreSQL anew on every request (SQLAlchemy's NullPool), "
             "like the write-up's first version"),
        Rung("fastapi_pooled", "the fixed version: a pool opened once",
             "fastapi_pooled is fastapi_naive with only the pools added: the write-up's "
             "psycopg_pool fix, on SQLAlchemy's pool"),
        Rung("go_stdlib", "the Gin app", "Go's net/http, what Gin routes on"),
    ),
    steps=(
        Step("ping", "devices-get", "locust", ("go_stdlib", "fastapi_pooled", "fastapi_naive"),
             "go_stdlib", "fastapi_pooled", 13000 / 4700, kind="at_least", users=(50,), duration_s=10.0,
             claimed={"fastapi_naive": "800-2,000 req/s (access log on)",
                      "fastapi_pooled": "3,100 req/s (Docker), 4,700 (native)",
                      "go_stdlib": "13,000 req/s (locust's limit)"}),
        Step("list", "users", "locust", ("fastapi_pooled", "fastapi_naive"), "fastapi_pooled",
             "fastapi_naive", 4.5, users=(50,), duration_s=10.0,
             claimed={"fastapi_naive": "about 200 req/s", "fastapi_pooled": "about 900 req/s"}),
    ),
    ramps=(
        Ramp("too-many-clients", "users", "locust", "fastapi_naive", "fastapi_pooled",
             loads=(25, 50, 100, 200, 400), step_s=10.0, log_pattern="too many connections",
             pg_connection_limit=100,
             claimed="a crash with \"too many clients\" after a few hundred connections; none with the pool"),
    ),
    differences=(
        "The ping endpoint is GET /api/devices (a fixed JSON list): the contract has no bare ping.",
        ("The write-up's PostgreSQL allowed 100 connections, ours 1000: the ramp limits the "
        "database to 100 connections (ALTER DATABASE ... CONNECTION LIMIT 100), so the error reads "
        "\"too many connections for database\", the same SQLSTATE 53300 as \"too many clients "
        "already\". The other rungs' pools (10 each) count against that limit too."),
        ("fastapi_naive answers the failure with a JSON 503 and keeps running (the contract forbids "
        "a crash): the write-up's crash shows here as availability falling."),
        ("Both rungs run without uvicorn's access log: the write-up's first version kept it on, so "
        "its ping figure includes the log's cost and this replay's does not. Both reach PostgreSQL "
        "through SQLAlchemy on asyncpg, not psycopg: a connection per request against a pool is "
        "the one difference, as in the write-up."),
    ),
    sweep_scenarios=("devices-get", "users"),
)
