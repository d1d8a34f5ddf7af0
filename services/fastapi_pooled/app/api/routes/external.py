import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException

from app.api.deps import HttpClientDep, SettingsDep
from app.metrics import observe

router = APIRouter(tags=["external"])


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
        raise HTTPException(502, f"upstream failed: {type(exc).__name__}") from None
