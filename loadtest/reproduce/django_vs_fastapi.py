"""Write-up 5: FastAPI vs Django on MySQL (AakarSharma/fastapi-vs-django-benchmark)."""

from __future__ import annotations

from .base import Protocol, Rung, Step

PROTOCOL = Protocol(
    name="django-vs-fastapi",
    title="FastAPI vs Django on MySQL (io-mix)",
    source="AakarSharma/fastapi-vs-django-benchmark (FINAL_REPORT.md)",
    claim=("io-mix (8 transactions + 2 file operations), 10..100 users, 10 s per level, 1 vCPU / "
           "2 GB per app, MySQL 8.4. FastAPI (Tortoise on aiomysql, gunicorn 1 UvicornWorker): "
           "270-330 req/s; Django (gunicorn 1 worker x 8 threads, CONN_MAX_AGE=60): 71-76 req/s "
           "(4x). p99 at 100 users: FastAPI 1.58 s, Django 1.95 s. Memory: FastAPI 62-116 MB, "
           "Django 61-73 MB. Errors at most 0.33 %."),
    conditions="Docker containers limited to 1 vCPU / 2 GB each, MySQL 8.4 in its own container",
    tool="its own asyncio client script (not a package here: oha, closed loop, keep-alive)",
    shape="closed loop, 10 to 100 users step 10, 10 s per level",
    rungs=(
        Rung("fastapi_pooled", "FastAPI + Tortoise ORM on aiomysql, 1 worker",
             "fastapi_pooled's io-mix is Tortoise ORM on aiomysql in transactions, one worker: "
             "the write-up's app (uvicorn directly instead of gunicorn's UvicornWorker)"),
        Rung("django", "Django, gunicorn 1 worker x 8 threads, CONN_MAX_AGE=60",
             "the same server configuration: gunicorn gthread, 1 worker x 8 threads, the ORM"),
    ),
    steps=(
        Step("io-mix", "io-mix", "oha", ("fastapi_pooled", "django"), "fastapi_pooled", "django", 4.0,
             users=(10, 25, 50, 75, 100), duration_s=10.0, p99_at=100,
             claimed={"fastapi_pooled": "270-330 req/s; p99 1.58 s at 100 users; 62-116 MB",
                      "django": "71-76 req/s; p99 1.95 s at 100 users; 61-73 MB"}),
    ),
    differences=(
        ("MariaDB 10.11 instead of MySQL 8.4 (not packaged here). Both are InnoDB with the same "
        "transaction shape; MariaDB's group commit and thread pool differ, so the database's own "
        "ceiling may differ. Where every rung stops at the same throughput with the database "
        "busy, the database is the limit and the ratio measures it, not the frameworks."),
        "Five of the write-up's ten levels (10, 25, 50, 75, 100 users), three rounds each.",
    ),
    sweep_scenarios=("io-mix",),
)
