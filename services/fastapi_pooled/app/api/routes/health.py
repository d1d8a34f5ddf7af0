import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from tortoise import connections

from app.api.deps import MemcacheDep, SettingsDep

router = APIRouter(tags=["health"])


@router.get("/livez")
async def livez() -> JSONResponse:
    """Liveness: the process answers HTTP. No dependency is touched, so a database or
    memcached outage never gets a healthy process restarted."""
    return JSONResponse({"status": "ok"})


@router.get("/healthz")
async def healthz(request: Request, settings: SettingsDep, memcache: MemcacheDep) -> JSONResponse:
    async def postgres() -> None:
        async with request.app.state.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    async def mysql() -> None:
        await connections.get("default").execute_query("SELECT 1")

    async def memcached() -> None:
        await memcache.version()

    async def check(probe) -> None:
        async with asyncio.timeout(settings.health_timeout_seconds):
            await probe()

    checks = {"postgres": postgres, "mysql": mysql, "memcached": memcached}
    results = await asyncio.gather(
        *(check(probe) for probe in checks.values()), return_exceptions=True
    )
    down = [
        name for name, result in zip(checks, results, strict=True) if isinstance(result, Exception)
    ]
    if down:
        return JSONResponse(
            {"status": "unavailable", "detail": f"down: {', '.join(down)}", "down": down}, 503
        )
    return JSONResponse({"status": "ok"})
