"""Prometheus metrics of CONTRACT.md. gunicorn runs one worker process, so the default registry
is the whole service's."""

import time
from contextlib import contextmanager

from django.db import connections
from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

disable_created_metrics()  # no *_created series: nothing here reads them

# (op, db) pairs of the contract, present (zero-valued) from startup.
OPS = (
    ("insert", "postgres"),
    ("set", "memcache"),
    ("select", "postgres"),
    ("get", "external"),
    ("mix", "mysql"),
)

OP_DURATION = Histogram(
    "app_op_duration_seconds", "Duration of one dependency operation", ["op", "db"]
)
OP_ERRORS = Counter("app_op_errors_total", "Failed dependency operations", ["op", "db"])
for op, db in OPS:
    OP_DURATION.labels(op, db)
    OP_ERRORS.labels(op, db)


@contextmanager
def track(op: str, db: str):
    """Time the block into app_op_duration_seconds; count it in app_op_errors_total if it raises."""
    start = time.perf_counter()
    try:
        yield
    except Exception:
        OP_ERRORS.labels(op, db).inc()
        raise
    finally:
        OP_DURATION.labels(op, db).observe(time.perf_counter() - start)


def _postgres_pool_size() -> int:
    # Django keeps one psycopg_pool.ConnectionPool per alias, shared by all threads.
    return connections["default"].pool.get_stats()["pool_size"]


def _postgres_pool_in_use() -> int:
    stats = connections["default"].pool.get_stats()
    return stats["pool_size"] - stats["pool_available"]


# PostgreSQL only: MySQL has no pool in Django (one persistent connection per thread).
# size = connections the pool holds now (it grows from 1 to POOL_SIZE on demand);
# in use = those lent to a request.
POOL_SIZE = Gauge("app_db_pool_size", "Connections open in the pool", ["db"])
POOL_IN_USE = Gauge("app_db_pool_in_use", "Pool connections lent to a request", ["db"])
POOL_SIZE.labels("postgres").set_function(_postgres_pool_size)
POOL_IN_USE.labels("postgres").set_function(_postgres_pool_in_use)
