"""GET /api/devices: the hard-coded list, serialised on every request (FastAPI vs Go)."""

from .base import Scenario

DEVICES_GET = Scenario("devices-get", "GET", "/api/devices", 200,
                       summary="hard-coded devices list as JSON (FastAPI vs the Go standard library)")
