"""resources.postgres: a connection whose statement timed out or was cancelled is closed, not
released to wait for the server's acknowledgement of a CancelRequest. resources.mysql: every
connection checked out goes back to the pool, even one whose checkout finished inside a
cancellation, and one left in an unknown state is closed instead."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from app.errors import OutcomeUnknown
from app.resources import mysql, postgres


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


class FakeMysqlConnection:
    """What asyncmy's Pool.release reads of a connection that is not its own Connection."""

    connected = True
    closed = False

    def get_transaction_status(self):
        return False

    def close(self):
        self.closed, self.connected = True, False


def mysql_pool():
    import asyncmy.pool

    return asyncmy.pool.Pool(minsize=0, maxsize=1, pool_recycle=-1, echo=False)


def test_a_checkout_finished_inside_a_cancellation_still_goes_back_to_the_pool():
    """Python 3.11's asyncio.wait_for (inside asyncmy's connect) swallows a cancellation that
    meets the server's reply: the checkout returns a connection from within the cancellation.
    `async with pool.acquire()` then loses track of it (release(None): KeyError); mysql()
    must not."""

    async def scenario():
        pool = mysql_pool()
        conn = FakeMysqlConnection()

        async def checkout_that_swallows_the_cancellation():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass  # as wait_for does when its inner future is already done
            pool._used.add(conn)
            return conn

        pool._acquire = checkout_that_swallows_the_cancellation
        r = SimpleNamespace(mysql=pool)
        async with asyncio.timeout(0.01):
            async with mysql(r) as got:
                assert got is conn
        return pool, conn

    pool, conn = asyncio.run(scenario())
    assert not pool._used and list(pool._free) == [conn]


@pytest.mark.parametrize("error", [ValueError, asyncio.CancelledError])
def test_a_connection_left_in_an_unknown_state_is_closed_not_reused(error):
    async def scenario():
        pool = mysql_pool()
        conn = FakeMysqlConnection()

        async def checkout():
            pool._used.add(conn)
            return conn

        pool._acquire = checkout
        with pytest.raises(error):
            async with mysql(SimpleNamespace(mysql=pool)):
                raise error
        return pool, conn

    pool, conn = asyncio.run(scenario())
    assert conn.closed and not pool._used and pool.freesize == 0


def test_a_write_without_an_answer_closes_the_connection():
    pool = FakePool()

    async def use():
        async with postgres(resources(pool)):
            raise OutcomeUnknown("postgres")

    with pytest.raises(OutcomeUnknown):
        asyncio.run(use())
    assert pool.conn.terminated
