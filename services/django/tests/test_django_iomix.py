"""The deadlock retry of io-mix, with the error Django raises for mysqlclient's 1213. No
database: the transaction is a stand-in (the conftest points MySQL at a dead port)."""

import pytest
from bench import iomix
from django.db import InterfaceError, OperationalError
from django.test import Client

DEADLOCK = OperationalError(
    1213, "Deadlock found when trying to get lock; try restarting transaction"
)
LOCK_WAIT_TIMEOUT = OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction")
CONNECTION_LOST = OperationalError(2013, "Lost connection to server during query")


class Transaction:
    """Stands in for one_transaction: raises `errors` one per run, then succeeds."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.runs = 0

    def __call__(self):
        self.runs += 1
        if self.errors:
            raise self.errors.pop(0)
        return 10, 5, 10


@pytest.mark.parametrize(
    "exc, expected",
    [
        (DEADLOCK, True),
        (LOCK_WAIT_TIMEOUT, False),
        (CONNECTION_LOST, False),
        (InterfaceError(0, ""), False),
        (iomix.MixCheckFailed("count"), False),
    ],
)
def test_is_deadlock(exc, expected):
    assert iomix.is_deadlock(exc) is expected


@pytest.mark.parametrize("deadlocks", [1, 2])
def test_a_deadlock_victim_is_run_again(deadlocks):
    transaction = Transaction(*[DEADLOCK] * deadlocks)
    assert iomix.retry_deadlocks(transaction) == (10, 5, 10)
    assert transaction.runs == deadlocks + 1


def test_the_third_deadlock_is_raised():
    transaction = Transaction(DEADLOCK, DEADLOCK, DEADLOCK)
    with pytest.raises(OperationalError) as raised:
        iomix.retry_deadlocks(transaction)
    assert raised.value is DEADLOCK
    assert transaction.runs == iomix.ATTEMPTS == 3


@pytest.mark.parametrize(
    "error", [LOCK_WAIT_TIMEOUT, CONNECTION_LOST, iomix.MixCheckFailed("count")]
)
def test_other_errors_are_not_retried(error):
    transaction = Transaction(error)
    with pytest.raises(type(error)):
        iomix.retry_deadlocks(transaction)
    assert transaction.runs == 1


def test_run_transactions_counts_a_retried_transaction_once(monkeypatch):
    transaction = Transaction(DEADLOCK)
    monkeypatch.setattr(iomix, "one_transaction", transaction)
    counts = iomix.run_transactions()
    assert (counts["rows_created"], counts["rows_updated"], counts["rows_deleted"]) == (80, 40, 80)
    assert transaction.runs == 9


def test_the_third_deadlock_is_503(monkeypatch):
    transaction = Transaction(DEADLOCK, DEADLOCK, DEADLOCK)
    monkeypatch.setattr(iomix, "one_transaction", transaction)
    response = Client().post("/api/io-mix")
    assert response.status_code == 503
    assert response.json() == {"detail": "mysql unavailable"}
    assert transaction.runs == 3
