"""503 or 504: a write's failure is told apart by where it struck (app/core/errors.py)."""

import asyncio

import asyncpg
import pymysql
import pytest
from sqlalchemy.exc import DBAPIError
from tortoise.exceptions import OperationalError

from app.core.errors import OutcomeUnknown, Write, unanswered


def postgres_error(severity: str) -> asyncpg.PostgresError:
    """An error as the server sends it, with its severity."""
    fields = {"S": severity, "V": severity, "C": "57014", "M": "canceling statement"}
    return asyncpg.PostgresError.new(fields)


def from_sqlalchemy(error: Exception) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it: its adapter's error, then its own."""
    try:
        try:
            raise error
        except Exception as driver:
            raise RuntimeError("adapter") from driver
    except RuntimeError as adapter:
        wrapped = DBAPIError("INSERT ...", None, adapter)
        wrapped.__cause__ = adapter
        return wrapped


@pytest.mark.parametrize(
    "exc, expected",
    [
        (TimeoutError(), True),  # asyncpg's command_timeout, asyncio.timeout
        (ConnectionResetError(), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle"), True),
        (postgres_error("ERROR"), False),  # statement_timeout, a constraint: rolled back
        (postgres_error("FATAL"), True),  # the server ended the session
        (from_sqlalchemy(asyncpg.exceptions.ConnectionDoesNotExistError("closed")), True),
        (from_sqlalchemy(postgres_error("ERROR")), False),
        (pymysql.err.OperationalError(2013, "Lost connection to MySQL server"), True),
        (OperationalError(pymysql.err.OperationalError(2013, "Lost connection")), True),
        (pymysql.err.OperationalError(1213, "Deadlock found"), False),
        (pymysql.err.OperationalError(1792, "read-only transaction"), False),
        (RuntimeError("a bug"), False),
    ],
)
def test_unanswered(exc, expected):
    assert unanswered(exc) is expected


async def write_failing(before_commit: BaseException | None, in_commit: BaseException | None):
    with Write("postgres") as write:
        if before_commit:
            raise before_commit
        with write.commit():
            if in_commit:
                raise in_commit


@pytest.mark.parametrize(
    "before_commit, in_commit, raised",
    [
        (TimeoutError(), None, TimeoutError),  # the INSERT: rolled back, 503
        (None, postgres_error("ERROR"), asyncpg.PostgresError),  # the server refused the COMMIT
        (None, TimeoutError(), OutcomeUnknown),  # the COMMIT got no answer
        (None, ConnectionResetError(), OutcomeUnknown),
        (None, RuntimeError("a bug"), RuntimeError),
    ],
)
def test_write_is_unknown_only_when_its_commit_got_no_answer(before_commit, in_commit, raised):
    with pytest.raises(raised):
        asyncio.run(write_failing(before_commit, in_commit))


async def deadline_strikes(in_commit: bool) -> None:
    """A deadline around the write, as io-mix's: its cancellation becomes a TimeoutError."""
    with Write("mysql") as write:
        async with asyncio.timeout(0.05):
            if not in_commit:
                await asyncio.sleep(1)
            with write.commit():
                await asyncio.sleep(1 if in_commit else 0)


def test_a_deadline_in_the_commit_is_unknown():
    with pytest.raises(OutcomeUnknown) as raised:
        asyncio.run(deadline_strikes(in_commit=True))
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_a_deadline_before_the_commit_is_a_timeout():
    with pytest.raises(TimeoutError):
        asyncio.run(deadline_strikes(in_commit=False))
