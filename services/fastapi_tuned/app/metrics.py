"""The contract's Prometheus metrics and the one timer every dependency call goes through."""

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from prometheus_client import Counter, Gauge, Histogram

from .errors import DependencyError

logger = logging.getLogger(__name__)

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


# The 5xx detail names the dependency in a fixed phrase; the driver's own text (addresses,
# SQLSTATEs, exception names) goes to the log only (CONTRACT.md, general rules).
DETAILS = {"postgres": "postgres unavailable", "mysql": "mysql unavailable",
           "memcache": "memcached unavailable", "external": "upstream failed"}
DRIVERS = {"asyncpg", "asyncmy", "aiomcache", "aiohttp"}


@asynccontextmanager
async def timed(op: str, db: str, status_code: int = 503, timeout: float | None = None):
    """Time one operation; on failure count it, log it and raise DependencyError(status_code).
    `timeout` is for clients without a timeout of their own (aiomcache)."""
    histogram, errors = _TIMERS[(op, db)]
    start = time.perf_counter()
    try:
        if timeout is None:
            yield
        else:
            async with asyncio.timeout(timeout):
                yield
    except DependencyError as exc:
        errors.inc()
        if exc.__cause__ is not None:  # OutcomeUnknown: what the driver said
            logger.warning("%s %s failed: %s: %s", op, db, type(exc.__cause__).__name__, exc.__cause__)
        raise
    except Exception as exc:
        # OSError and TimeoutError (refused, reset, timed out), or a driver's own error.
        if not isinstance(exc, OSError) and type(exc).__module__.split(".")[0] not in DRIVERS:
            raise
        errors.inc()
        logger.warning("%s %s failed: %s: %s", op, db, type(exc).__name__, exc)
        raise DependencyError(status_code, DETAILS[db]) from exc
    finally:
        histogram.observe(time.perf_counter() - start)
