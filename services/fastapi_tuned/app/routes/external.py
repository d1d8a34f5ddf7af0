"""GET /api/fetch-external: relay the upstream's JSON through one shared HTTP client."""

import logging

import orjson
from fastapi import APIRouter, Request, Response

from ..errors import DependencyError
from ..metrics import timed
from ..resources import resources_of

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/fetch-external", tags=["external"])


@router.get("")
async def fetch_external(request: Request) -> Response:
    r = resources_of(request)
    async with timed("get", "external", status_code=502):
        try:
            async with r.http.get(r.settings.external_url) as upstream:
                body = await upstream.read()
                status = upstream.status
        except TimeoutError as exc:  # aiohttp's total timeout (EXTERNAL_TIMEOUT_SECONDS)
            raise DependencyError(504, "upstream timed out") from exc
        if not 200 <= status < 300:
            logger.warning("upstream answered %d", status)
            raise DependencyError(502, "upstream failed")
        try:
            orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            logger.warning("upstream answered invalid JSON: %s", exc)
            raise DependencyError(502, "upstream failed") from exc
    return Response(body, media_type="application/json")
