"""Failures of a dependency become 502/503/504 with a JSON detail, in one place; anything
else unexpected a JSON 500.

A write's answer tells the truth about its outcome (CONTRACT.md, general rules): 503 when it
did not happen (never sent, or the server answered with an error, which rolls it back), 504
OutcomeUnknown when it was sent and no answer came (the time ran out, the connection broke):
the server may still commit it, and the client finds out by retrying with its Idempotency-Key.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Self

import asyncpg
from asyncmy.errors import MySQLError
from fastapi import Request
from fastapi.responses import JSONResponse


class DependencyError(Exception):
    def __init__(self, status_code: int, detail: str):
        self.status_code = status_code
        self.detail = detail


class OutcomeUnknown(DependencyError):
    def __init__(self, db: str):
        super().__init__(504, f"{db} timed out: outcome unknown")


def unanswered(exc: BaseException) -> bool:
    """Whether a statement failed without the server's answer: the time ran out or the
    connection broke. An error the server answered (a constraint, statement_timeout, a
    read-only database) rolled its statement's transaction back."""
    if isinstance(exc, OSError):  # TimeoutError too: command_timeout, asyncio.timeout
        return True
    if isinstance(exc, asyncpg.PostgresError):
        # Only an ERROR leaves the session alive; FATAL and PANIC end it, and asyncpg's own
        # (no severity) say the connection was lost.
        return exc.severity_en != "ERROR"
    if isinstance(exc, MySQLError) and exc.args and isinstance(exc.args[0], int):
        return 2000 <= exc.args[0] < 3000  # the client's codes (CR_*), 2013: connection lost
    return False


class Write:
    """A write whose COMMIT a deadline may interrupt, such as io-mix's transactions under one
    asyncio.timeout: the cancellation arrives in the middle of `await conn.commit()` and comes
    out of the deadline as a TimeoutError, which alone cannot say where it struck.

        async with Write("mysql") as write, asyncio.timeout(3):
            ...
            with write.commit():
                await conn.commit()
    """

    def __init__(self, db: str):
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
        # A deadline's cancellation passes through: still committing, the exit decides.
        self.committing = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if self.committing and isinstance(exc, Exception):
            raise OutcomeUnknown(self.db) from exc


async def dependency_error_handler(_: Request, exc: DependencyError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def internal_error_handler(_: Request, exc: Exception) -> JSONResponse:
    """The contract's JSON 500, never Starlette's plain text; the server still logs the
    traceback (Starlette raises the exception again after answering)."""
    return JSONResponse({"detail": "internal error"}, status_code=500)
