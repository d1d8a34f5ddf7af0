"""Prometheus metrics of the contract (CONTRACT.md, "GET /metrics")."""

from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

from prometheus_client import Counter, Histogram

OP_DURATION = Histogram(
    "app_op_duration_seconds", "Duration of one dependency operation", ["op", "db"]
)
OP_ERRORS = Counter("app_op_errors_total", "Failed dependency operations", ["op", "db"])

# Every label pair exists from startup, zero-valued until used.
for _op, _db in [
    ("insert", "postgres"),
    ("set", "memcache"),
    ("select", "postgres"),
    ("get", "external"),
    ("mix", "mysql"),
]:
    OP_DURATION.labels(_op, _db)
    OP_ERRORS.labels(_op, _db)


@contextmanager
def observe(op: str, db: str) -> Iterator[None]:
    """Time the block into OP_DURATION; count it in OP_ERRORS if it raises."""
    start = perf_counter()
    try:
        yield
    except Exception:
        OP_ERRORS.labels(op, db).inc()
        raise
    finally:
        OP_DURATION.labels(op, db).observe(perf_counter() - start)
