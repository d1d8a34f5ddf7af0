"""An unexpected exception is the contract's JSON 500, not Starlette's plain text."""

import asyncio

import asyncpg
import pytest
from app.errors import OutcomeUnknown, Write, unanswered
from asyncmy.errors import OperationalError
from fastapi.testclient import TestClient


@pytest.fixture
def failing_client():
    from app.main import app

    async def fails() -> None:
        raise RuntimeError("a bug: the driver said something private")

    app.add_api_route("/test-fails", fails)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        app.router.routes.pop()


def test_unexpected_error_is_json_500_without_its_text(failing_client):
    response = failing_client.get("/test-fails")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "internal error"}


# --- 503 or 504: a write's failure, told apart by where it struck ----------------------------

def postgres_error(severity):
    """An error as the server sends it, with its severity."""
    return asyncpg.PostgresError.new({"S": severity, "V": severity, "C": "57014", "M": "canceling statement"})


@pytest.mark.parametrize("exc, expected", [
    (TimeoutError(), True),  # asyncpg's command_timeout, asyncio.timeout
    (ConnectionResetError(), True),
    (asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle of operation"), True),
    (postgres_error("ERROR"), False),  # statement_timeout, a constraint: rolled back
    (postgres_error("FATAL"), True),  # the server ended the session
    (OperationalError(2013, "Lost connection to MySQL server during query"), True),
    (OperationalError(1213, "Deadlock found"), False),
    (RuntimeError("a bug"), False),
])
def test_unanswered(exc, expected):
    assert unanswered(exc) is expected


async def write_failing(in_commit):
    async with Write("mysql") as write:
        with write.commit():
            raise in_commit


@pytest.mark.parametrize("in_commit, raised", [
    (TimeoutError(), OutcomeUnknown),
    (OperationalError(2013, "Lost connection to MySQL server during query"), OutcomeUnknown),
    (OperationalError(1213, "Deadlock found"), OperationalError),  # refused: rolled back
    (RuntimeError("a bug"), RuntimeError),
])
def test_a_commit_without_an_answer_is_unknown(in_commit, raised):
    with pytest.raises(raised):
        asyncio.run(write_failing(in_commit))


async def deadline_strikes(in_commit):
    """A deadline around the write, as io-mix's: its cancellation becomes a TimeoutError."""
    async with Write("mysql") as write, asyncio.timeout(0.05):
        if not in_commit:
            await asyncio.sleep(1)
        with write.commit():
            await asyncio.sleep(1 if in_commit else 0)


def test_a_deadline_in_the_commit_is_504():
    with pytest.raises(OutcomeUnknown) as raised:
        asyncio.run(deadline_strikes(in_commit=True))
    assert (raised.value.status_code, raised.value.detail) == (504, "mysql timed out: outcome unknown")


def test_a_deadline_before_the_commit_is_a_timeout():
    with pytest.raises(TimeoutError):
        asyncio.run(deadline_strikes(in_commit=False))
