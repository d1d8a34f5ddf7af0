"""The deadlock retry of io-mix, with asyncmy's own error class and MariaDB's codes."""

import asyncio
from contextlib import asynccontextmanager

import pytest
from app.routes import iomix
from app.routes.iomix import ATTEMPTS, is_deadlock, retry_deadlocks
from asyncmy.errors import OperationalError

DEADLOCK = OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
LOCK_WAIT_TIMEOUT = OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")
CONNECTION_LOST = OperationalError(2013, "Lost connection to MySQL server during query")


class Transaction:
    """Stands in for one_transaction: raises `errors` one per run, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.runs = 0

    async def __call__(self) -> tuple[int, int, int]:
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)
        return 10, 5, 10


@pytest.mark.parametrize("exc, expected", [
    (DEADLOCK, True), (LOCK_WAIT_TIMEOUT, False), (CONNECTION_LOST, False), (TimeoutError(), False),
])
def test_is_deadlock(exc, expected):
    assert is_deadlock(exc) is expected


@pytest.mark.parametrize("deadlocks", [1, 2])
def test_a_deadlock_victim_is_run_again(deadlocks):
    transaction = Transaction(*[DEADLOCK] * deadlocks)
    assert asyncio.run(retry_deadlocks(transaction)) == (10, 5, 10)
    assert transaction.runs == deadlocks + 1


def test_the_third_deadlock_is_raised():
    transaction = Transaction(DEADLOCK, DEADLOCK, DEADLOCK)
    with pytest.raises(OperationalError) as raised:
        asyncio.run(retry_deadlocks(transaction))
    assert raised.value is DEADLOCK
    assert transaction.runs == ATTEMPTS == 3


@pytest.mark.parametrize("error", [LOCK_WAIT_TIMEOUT, CONNECTION_LOST, TimeoutError(), RuntimeError("count")])
def test_other_errors_are_not_retried(error):
    transaction = Transaction(error)
    with pytest.raises(type(error)):
        asyncio.run(retry_deadlocks(transaction))
    assert transaction.runs == 1


async def hangs_in_commit(conn, write):
    with write.commit():
        await asyncio.sleep(10)  # COMMIT sent, no answer


async def hangs_before_commit(conn, write):
    await asyncio.sleep(10)  # a statement of the transaction, no answer


@asynccontextmanager
async def no_mysql(r):
    yield None


@pytest.mark.parametrize("transaction, status, detail", [
    (hangs_in_commit, 504, "mysql timed out: outcome unknown"),
    (hangs_before_commit, 503, "mysql unavailable"),
])
def test_deadline_in_a_commit_is_504_before_it_503(client, monkeypatch, transaction, status, detail):
    monkeypatch.setattr(iomix, "mysql", no_mysql)
    monkeypatch.setattr(iomix, "one_transaction", transaction)
    monkeypatch.setattr(client.app.state.resources.settings, "db_timeout_seconds", 0.2)
    resp = client.post("/api/io-mix")
    assert (resp.status_code, resp.json()) == (status, {"detail": detail})
