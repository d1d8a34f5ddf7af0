"""Per-request dependencies: each request builds its own settings and clients."""

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import Depends
from pymemcache.client.base import Client as MemcacheClient

from app.core.config import Settings


def get_settings() -> Settings:
    # No lru_cache: the environment is read again on every request.
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_memcache(settings: SettingsDep) -> AsyncIterator[MemcacheClient]:
    # A synchronous client, used from async endpoints: every call blocks the event loop,
    # for at most the timeouts below.
    client = MemcacheClient(
        settings.memcached_server,
        connect_timeout=settings.memcached_timeout_seconds,
        timeout=settings.memcached_timeout_seconds,
    )
    try:
        yield client
    finally:
        client.close()


MemcacheDep = Annotated[MemcacheClient, Depends(get_memcache)]


async def get_http_client(settings: SettingsDep) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=settings.external_timeout_seconds) as client:
        yield client


HttpClientDep = Annotated[httpx.AsyncClient, Depends(get_http_client)]
