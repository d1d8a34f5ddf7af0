"""Dependencies: the clients and pools come from the lifespan (app/main.py), shared by all."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.cache import MemcacheClient
from app.core.config import Settings


def get_settings() -> Settings:
    # Unchanged from fastapi_naive: this rung fixes the connections, nothing else.
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def get_memcache(request: Request) -> MemcacheClient:
    return request.app.state.memcache


MemcacheDep = Annotated[MemcacheClient, Depends(get_memcache)]


def get_http_client(request: Request) -> httpx.AsyncClient:
    return request.app.state.http_client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
