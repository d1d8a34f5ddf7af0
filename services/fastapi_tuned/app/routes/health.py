"""GET /livez (the process answers), GET /healthz (all three databases answer?) and GET /metrics
(Prometheus text)."""

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..resources import Resources, mysql, postgres, resources_of

router = APIRouter(tags=["operations"])


async def _postgres_ping(r: Resources) -> None:
    async with postgres(r) as conn:
        await conn.fetchval("SELECT 1")


async def _mysql_ping(r: Resources) -> None:
    async with mysql(r) as conn, conn.cursor() as cur:
        await cur.execute("SELECT 1")


@router.get("/livez")
async def livez() -> Response:
    """Liveness touches no dependency: an outage must not get a healthy process restarted."""
    return JSONResponse({"status": "ok"})


@router.get("/healthz")
async def healthz(request: Request) -> Response:
    r = resources_of(request)
    checks = {
        "postgres": _postgres_ping(r),
        "mysql": _mysql_ping(r),
        "memcached": r.memcache.version(),
    }
    results = await asyncio.gather(*(asyncio.wait_for(c, 2.0) for c in checks.values()), return_exceptions=True)
    down = [name for name, result in zip(checks, results, strict=True) if isinstance(result, BaseException)]
    if down:
        return JSONResponse({"status": "unavailable", "detail": f"down: {', '.join(down)}", "down": down},
                            status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
