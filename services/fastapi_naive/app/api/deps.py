"""Dependencies: each request builds its own settings and clients; its database sessions come
from the lifespan's engines (app/main.py), which hold no connections."""

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import MemcacheClient
from app.core.config import Settings

logger = logging.getLogger(__name__)


def get_settings() -> Settings:
    # No lru_cache: the environment is read again on every request.
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    session = request.app.state.sessionmaker()
    try:
        yield session
    finally:
        await close_session(session)


async def close_session(session: AsyncSession) -> None:
    """Closing rolls back on the connection; with PostgreSQL hung that times out after the
    answer was decided. Log it and drop the connection instead of failing the request."""
    try:
        await session.close()
    except Exception as e:  # the request's answer must not be lost to its clean-up
        logger.warning("postgres: closing a session failed, connection discarded: %s", e)
        with contextlib.suppress(Exception):  # already broken: nothing more to do
            await session.invalidate()


SessionDep = Annotated[AsyncSession, Depends(get_session)]

IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")  # visible ASCII, no space


async def get_idempotency_key(request: Request) -> str | None:
    """The optional Idempotency-Key header of POST /api/devices (CONTRACT.md): any other value,
    or the header given twice, is 422. Read from the request: a declared Header() keeps one of
    two values without a word."""
    keys = request.headers.getlist("idempotency-key")
    if not keys:
        return None
    if len(keys) == 1 and IDEMPOTENCY_KEY.fullmatch(keys[0]):
        return keys[0]
    msg = "Idempotency-Key must be given once, 1 to 255 visible ASCII characters"
    error = {"type": "value_error", "loc": ("header", "idempotency-key"), "msg": msg}
    raise RequestValidationError([error])


IdempotencyKeyDep = Annotated[str | None, Depends(get_idempotency_key)]


async def get_memcache(settings: SettingsDep) -> AsyncIterator[MemcacheClient]:
    client = MemcacheClient(*settings.memcached_server, pool_size=1)  # a client per request
    try:
        yield client
    finally:
        await client.close()


MemcacheDep = Annotated[MemcacheClient, Depends(get_memcache)]


async def get_http_client(settings: SettingsDep) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=settings.external_timeout_seconds) as client:
        yield client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
