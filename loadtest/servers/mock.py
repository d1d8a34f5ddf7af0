"""The one client of the external mock's control API (CONTRACT.md, "The external mock"):
each service has its own key, so a sweep or a fault run changes only its own upstream."""

from __future__ import annotations

import httpx

from ..core.config import endpoints
from ..core.errors import InfraError


def configure(key: str, delay_ms: int = 0, status: int = 200, body: str = "json", trickle_ms: int = 0) -> None:
    """Every later GET /external/<key> waits delay_ms, then answers status with body (sent a
    byte at a time over trickle_ms when it is not 0)."""
    url = f"{endpoints().external_base}/control/{key}"
    settings = {"delay_ms": delay_ms, "status": status, "body": body, "trickle_ms": trickle_ms}
    try:
        r = httpx.put(url, json=settings, timeout=5)
        r.raise_for_status()
    except httpx.HTTPError as e:
        raise InfraError(f"external mock: PUT {url} failed: {e}") from e


def reset(key: str) -> None:
    """Back to the mock's defaults; quiet when the mock is gone (clean-up must not fail)."""
    try:
        httpx.delete(f"{endpoints().external_base}/control/{key}", timeout=5)
    except httpx.HTTPError:
        pass
