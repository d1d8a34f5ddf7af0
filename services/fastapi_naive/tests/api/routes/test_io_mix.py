import asyncio

import pymysql
import pytest
from tortoise.exceptions import DBConnectionError, OperationalError

from app.api.routes import io_mix
from app.core.errors import Write


def from_tortoise(code: int, message: str) -> OperationalError:
    """An aiomysql (pymysql) error as Tortoise raises it from a query: wrapped in its own."""
    return OperationalError(pymysql.err.OperationalError(code, message))


DEADLOCK = from_tortoise(1213, "Deadlock found when trying to get lock; try restarting transaction")
LOCK_WAIT_TIMEOUT = from_tortoise(1205, "Lock wait timeout exceeded; try restarting transaction")
CONNECTION_LOST = from_tortoise(2013, "Lost connection to MySQL server")


class Transaction:
    """Stands in for mix_transaction: raises `errors` one per run, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.runs = 0

    async def __call__(self, *_: object) -> tuple[int, int, int]:
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)
        return 10, 5, 10


def test_mysql_down_is_503_json(client):
    response = client.post("/api/io-mix")
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}


@pytest.mark.parametrize(
    "exc, expected",
    [
        (DEADLOCK, True),
        (DEADLOCK.args[0], True),  # from COMMIT, which Tortoise does not wrap
        (LOCK_WAIT_TIMEOUT, False),
        (CONNECTION_LOST, False),
        (OperationalError("no driver error inside"), False),
        (DBConnectionError("refused"), False),
        (TimeoutError(), False),
    ],
)
def test_is_deadlock(exc, expected):
    assert io_mix.is_deadlock(exc) is expected


@pytest.mark.parametrize("deadlocks", [1, 2])
def test_a_deadlock_victim_is_run_again(deadlocks):
    transaction = Transaction(*[DEADLOCK] * deadlocks)
    assert asyncio.run(io_mix.retry_deadlocks(transaction)) == (10, 5, 10)
    assert transaction.runs == deadlocks + 1


def test_the_third_deadlock_is_raised():
    transaction = Transaction(DEADLOCK, DEADLOCK, DEADLOCK)
    with pytest.raises(OperationalError) as raised:
        asyncio.run(io_mix.retry_deadlocks(transaction))
    assert raised.value is DEADLOCK
    assert transaction.runs == io_mix.ATTEMPTS == 3


@pytest.mark.parametrize("error", [LOCK_WAIT_TIMEOUT, CONNECTION_LOST, RuntimeError("count")])
def test_other_errors_are_not_retried(error):
    transaction = Transaction(error)
    with pytest.raises(type(error)):
        asyncio.run(io_mix.retry_deadlocks(transaction))
    assert transaction.runs == 1


def test_endpoint_counts_a_retried_transaction_once(client, monkeypatch):
    transaction = Transaction(DEADLOCK)
    monkeypatch.setattr(io_mix, "mix_transaction", transaction)
    response = client.post("/api/io-mix")
    assert response.status_code == 200
    assert response.json()["rows_created"] == 80
    assert transaction.runs == 9


def test_endpoint_answers_503_after_the_third_deadlock(client, monkeypatch):
    transaction = Transaction(DEADLOCK, DEADLOCK, DEADLOCK)
    monkeypatch.setattr(io_mix, "mix_transaction", transaction)
    response = client.post("/api/io-mix")
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}
    assert transaction.runs == 3


async def hangs_in_commit(write: Write) -> tuple[int, int, int]:
    with write.commit():
        await asyncio.sleep(10)  # COMMIT sent, no answer
    return 10, 5, 10


async def hangs_before_commit(write: Write) -> tuple[int, int, int]:
    await asyncio.sleep(10)  # a statement of the transaction, no answer
    return 10, 5, 10


@pytest.mark.parametrize(
    "transaction, status, detail",
    [
        (hangs_in_commit, 504, "mysql timed out: outcome unknown"),
        (hangs_before_commit, 503, "database unavailable"),
    ],
)
def test_deadline_in_commit_is_504_before_it_503(client, monkeypatch, transaction, status, detail):
    monkeypatch.setenv("DB_TIMEOUT_SECONDS", "0.2")
    monkeypatch.setattr(io_mix, "mix_transaction", transaction)
    response = client.post("/api/io-mix")
    assert (response.status_code, response.json()) == (status, {"detail": detail})
