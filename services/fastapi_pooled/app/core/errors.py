"""One handler turns every failed database call into a clean 503 instead of a 500."""

import logging

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


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    message = str(exc).partition("\n")[0]  # SQLAlchemy appends the statement: not logged
    logger.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, message)
    return JSONResponse({"detail": "database unavailable"}, status_code=503)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Anything else unexpected: the contract's JSON 500, never Starlette's plain text. The
    server still logs the traceback (Starlette raises the exception again after answering)."""
    return JSONResponse({"detail": "internal error"}, status_code=500)
