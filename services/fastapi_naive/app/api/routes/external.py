import asyncio
import logging
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException

from app.api.deps import HttpClientDep, SettingsDep
from app.metrics import observe

router = APIRouter(tags=["external"])
logger = logging.getLogger(__name__)


@router.get("/fetch-external")
async def fetch_external(settings: SettingsDep, client: HttpClientDep) -> Any:
    try:
        with observe("get", "external"):
            # httpx times each phase; the contract bounds the whole answer.
            async with asyncio.timeout(settings.external_timeout_seconds):
                response = await client.get(settings.external_url)
            response.raise_for_status()
            return response.json()
    except (TimeoutError, httpx.TimeoutException):
        raise HTTPException(504, "upstream timed out") from None
    except (httpx.HTTPError, ValueError) as exc:  # refused, reset, non-2xx, not JSON
        # A fixed detail: the client's error text (addresses, statuses) is for the log only.
        logger.warning("upstream failed: %s: %s", type(exc).__name__, exc)
        raise HTTPException(502, "upstream failed") from None
