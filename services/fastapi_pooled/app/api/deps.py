"""Dependencies: the clients and pools come from the lifespan (app/main.py), shared by all."""

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends, Request
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


def get_memcache(request: Request) -> MemcacheClient:
    return request.app.state.memcache


MemcacheDep = Annotated[MemcacheClient, Depends(get_memcache)]


def get_http_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http_client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
