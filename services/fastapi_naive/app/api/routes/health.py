import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pymemcache.client.base import Client as MemcacheClient

from app.api.deps import SettingsDep
from app.core.config import Settings
from app.db import connect_mysql, connect_postgres

router = APIRouter(tags=["health"])


async def postgres_up(settings: Settings) -> None:
    async with asyncio.timeout(settings.db_timeout_seconds):
        async with await connect_postgres(settings) as conn:
            await conn.execute("SELECT 1")


async def mysql_up(settings: Settings) -> None:
    conn = await connect_mysql(settings)
    try:
        async with asyncio.timeout(settings.db_timeout_seconds), conn.cursor() as cur:
            await cur.execute("SELECT 1")
    finally:
        conn.close()


async def memcached_up(settings: Settings) -> None:
    client = MemcacheClient(
        settings.memcached_server,
        connect_timeout=settings.memcached_timeout_seconds,
        timeout=settings.memcached_timeout_seconds,
    )
    try:
        client.version()
    finally:
        client.close()


@router.get("/healthz")
async def healthz(settings: SettingsDep) -> JSONResponse:
    checks = {"postgres": postgres_up, "mysql": mysql_up, "memcached": memcached_up}
    results = await asyncio.gather(
        *(check(settings) for check in checks.values()), return_exceptions=True
    )
    down = [
        name for name, result in zip(checks, results, strict=True) if isinstance(result, Exception)
    ]
    if down:
        return JSONResponse(
            {"status": "unavailable", "detail": f"down: {', '.join(down)}", "down": down}, 503
        )
    return JSONResponse({"status": "ok"})
