"""resources.postgres: a connection whose statement timed out or was cancelled is closed, not
released to wait for the server's acknowledgement of a CancelRequest."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from app.resources import postgres


class FakeConnection:
    terminated = False

    def terminate(self):
        self.terminated = True


class FakePool:
    def __init__(self):
        self.conn = FakeConnection()
        self.timeout = None

    @asynccontextmanager
    async def acquire(self, timeout=None):
        self.timeout = timeout
        yield self.conn


def resources(pool):
    return SimpleNamespace(pg=pool, settings=SimpleNamespace(db_acquire_timeout_seconds=1.5))


@pytest.mark.parametrize("error", [TimeoutError, asyncio.CancelledError])
def test_a_timed_out_or_cancelled_statement_closes_the_connection(error):
    pool = FakePool()

    async def use():
        async with postgres(resources(pool)):
            raise error

    with pytest.raises(error):
        asyncio.run(use())
    assert pool.conn.terminated
    assert pool.timeout == 1.5  # the acquire is bounded by asyncpg itself


def test_a_failed_statement_keeps_the_connection():
    pool = FakePool()

    async def use():
        async with postgres(resources(pool)):
            raise ValueError("a bad row, say")

    with pytest.raises(ValueError):
        asyncio.run(use())
    assert not pool.conn.terminated
