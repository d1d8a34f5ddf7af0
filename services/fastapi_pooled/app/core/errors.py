"""Where failures become answers: a failed database call is a clean 503, a write whose outcome
is unknown a 504, anything else unexpected a JSON 500; the driver's text goes to the log only."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

import asyncpg
import pymysql
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from tortoise.exceptions import BaseORMException

logger = logging.getLogger(__name__)

# SQLAlchemy wraps asyncpg's errors and raises its own pool timeout; Tortoise wraps most
# aiomysql errors, pymysql.err is the rest; OSError: refused or reset connections, and
# TimeoutError (asyncpg's timeouts, asyncio.timeout around every MySQL transaction).
DATABASE_ERRORS = (SQLAlchemyError, BaseORMException, pymysql.err.Error, OSError)


class OutcomeUnknown(Exception):
    """A COMMIT was sent and no answer came back: the server may have committed it."""

    def __init__(self, db: str) -> None:
        super().__init__(f"{db} timed out: outcome unknown")
        self.db = db


def unanswered(exc: BaseException) -> bool:
    """Whether a statement failed without the server's answer: the time ran out or the
    connection broke. An error the server answered (a constraint, statement_timeout, a
    read-only database) rolled its transaction back."""
    while True:
        if isinstance(exc, OSError):  # TimeoutError too: asyncpg's, asyncio.timeout's
            return True
        if isinstance(exc, asyncpg.PostgresError):
            # Only an ERROR leaves the session alive; FATAL and PANIC end it, and asyncpg's
            # own (no severity) say the connection was lost.
            return exc.severity_en != "ERROR"
        if isinstance(exc, pymysql.err.MySQLError) and exc.args and isinstance(exc.args[0], int):
            return 2000 <= exc.args[0] < 3000  # the client's codes (CR_*), 2013: connection lost
        # SQLAlchemy raises its error from the driver's; Tortoise passes it as an argument.
        if exc.__cause__ is not None:
            exc = exc.__cause__
        elif isinstance(exc, BaseORMException) and exc.args and isinstance(exc.args[0], Exception):
            exc = exc.args[0]
        else:
            return False


class Write:
    """One request's write, told apart by where it failed (CONTRACT.md, general rules). Before
    its COMMIT is sent, a failure rolls the transaction back: 503, the write did not happen.
    Once the COMMIT is sent, only the server's answer tells: no answer (a timeout, a broken
    connection) raises OutcomeUnknown, a 504. A deadline around the write (io-mix's
    asyncio.timeout) cancels it in the middle of the COMMIT and comes out as a TimeoutError
    that alone cannot say where it struck: hence the flag. Around the write and its deadline:

        with Write("postgres") as write:
            ...  # BEGIN, INSERT
            with write.commit():
                await session.commit()
    """

    def __init__(self, db: str) -> None:
        self.db = db
        self.committing = False  # a COMMIT is sent and not answered

    @contextmanager
    def commit(self) -> Iterator[None]:
        self.committing = True
        try:
            yield
        except Exception as exc:
            self.committing = unanswered(exc)
            raise
        # A deadline's cancellation passes through: still committing, Write's exit decides.
        self.committing = False

    def __enter__(self) -> "Write":
        return self

    def __exit__(
        self, exc_type: type | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.committing and isinstance(exc, Exception):
            raise OutcomeUnknown(self.db) from exc


def log_failure(request: Request, exc: Exception) -> None:
    message = str(exc).partition("\n")[0]  # SQLAlchemy appends the statement: not logged
    logger.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, message)


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log_failure(request, exc)
    return JSONResponse({"detail": "database unavailable"}, status_code=503)


async def outcome_unknown(request: Request, exc: OutcomeUnknown) -> JSONResponse:
    """The client learns the outcome by sending the request again with its Idempotency-Key."""
    log_failure(request, exc.__cause__ or exc)
    return JSONResponse({"detail": f"{exc.db} timed out: outcome unknown"}, status_code=504)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else unexpected: the contract's JSON 500, never Starlette's plain text. The
    server still logs the traceback (Starlette raises the exception again after answering)."""
    return JSONResponse({"detail": "internal error"}, status_code=500)
