"""One handler turns every failed database call into a clean 503 instead of a 500."""

import logging

import psycopg
import pymysql
from fastapi import Request
from fastapi.responses import JSONResponse

logger = logging.getLogger(__name__)

# psycopg: PostgreSQL; pymysql.err: what aiomysql raises; OSError: refused or reset
# connections and TimeoutError (from asyncio.timeout around every database call).
DATABASE_ERRORS = (psycopg.Error, pymysql.err.Error, OSError)


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    message = str(exc).partition("\n")[0]  # SQLAlchemy appends the statement: not logged
    logger.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, message)
    return JSONResponse({"detail": "database unavailable"}, status_code=503)
