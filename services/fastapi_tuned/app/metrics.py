"""The contract's Prometheus metrics and the one timer every dependency call goes through."""

import asyncio
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from prometheus_client import Counter, Gauge, Histogram

from .errors import DependencyError

OPS = [("insert", "postgres"), ("set", "memcache"), ("select", "postgres"), ("get", "external"), ("mix", "mysql")]

OP_DURATION = Histogram("app_op_duration_seconds", "Duration of one dependency operation", ["op", "db"])
OP_ERRORS = Counter("app_op_errors_total", "Failed dependency operations", ["op", "db"])
POOL_SIZE = Gauge("app_db_pool_size", "Connections open in the pool", ["db"])
POOL_IN_USE = Gauge("app_db_pool_in_use", "Connections checked out of the pool", ["db"])

for op, db in OPS:  # present from start-up, zero-valued until used
    OP_DURATION.labels(op, db)
    OP_ERRORS.labels(op, db)

# Resolved once: labels() is a dict lookup plus a lock on every call.
_TIMERS = {(op, db): (OP_DURATION.labels(op, db), OP_ERRORS.labels(op, db)) for op, db in OPS}


def watch_pool(db: str, size: Callable[[], int], in_use: Callable[[], int]) -> None:
    """Pool gauges read the pool when scraped: nothing to do per request."""
    POOL_SIZE.labels(db).set_function(size)
    POOL_IN_USE.labels(db).set_function(in_use)


@asynccontextmanager
async def timed(op: str, db: str, status_code: int = 503, timeout: float | None = None):
    """Time one operation; on failure count it and raise DependencyError(status_code)."""
    histogram, errors = _TIMERS[(op, db)]
    start = time.perf_counter()
    try:
        if timeout is None:
            yield
        else:
            async with asyncio.timeout(timeout):
                yield
    except DependencyError:
        errors.inc()
        raise
    except (OSError, TimeoutError) as exc:
        errors.inc()
        raise DependencyError(status_code, f"{db} unavailable: {type(exc).__name__}") from exc
    except Exception as exc:  # driver-specific errors (asyncpg, asyncmy)
        if type(exc).__module__.split(".")[0] in {"asyncpg", "asyncmy", "aiomcache", "aiohttp"}:
            errors.inc()
            raise DependencyError(status_code, f"{db} unavailable: {type(exc).__name__}") from exc
        raise
    finally:
        histogram.observe(time.perf_counter() - start)
