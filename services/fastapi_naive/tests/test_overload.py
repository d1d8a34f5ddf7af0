"""Overload: 200 concurrent connections for 60 s against the naive service.

The finding to show is that a connection per request fails under load ("too many clients",
slow connects); the contract to keep is that it fails cleanly: every failed request is a JSON
503, nothing is a 500, no connection is dropped, and the process survives and recovers.

    cd services/fastapi_naive && ../../.venv/bin/pytest -m slow tests/test_overload.py -s

Transport errors: with uvicorn's defaults, a keep-alive connection idle for 5 s is closed
(--timeout-keep-alive). Under this overload the event loop lags by one to two seconds, so the
timer that closes an idle connection can run in the same loop iteration as the arrival of the
client's next request on it: the socket is closed with that request unread, and the client
sees a reset (httpx ReadError) instead of an answer. With --timeout-keep-alive 30 none occur.
They are a symptom of the blocked event loop, not an error answer: they are counted apart and
tolerated up to MAX_RESET_SHARE of the requests; any other transport error fails the test.

Starts the service from its manifest on a free port (the shared infrastructure is started
if needed), or targets BASE_URL if set. OVERLOAD_SECONDS and OVERLOAD_CONNECTIONS override
the defaults.
"""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

SECONDS = float(os.environ.get("OVERLOAD_SECONDS", 60))
CONNECTIONS = int(os.environ.get("OVERLOAD_CONNECTIONS", 200))
REQUEST_TIMEOUT = 30.0  # generous: a slow answer under overload is not a failure here
MAX_RESET_SHARE = 0.01  # keep-alive races, see above
DEVICE = {"mac": "EF-2B-C4-F5-D6-34", "firmware": "overload"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, object]]:
    """(base URL, the harness's Running handle or None when given BASE_URL)."""
    if base_url := os.environ.get("BASE_URL"):
        yield base_url.rstrip("/"), None
        return
    from loadtest.runtime import service as harness
    from loadtest.servers import infra, manifest

    infra.up()
    running = harness.start(manifest.load("fastapi_naive"))
    yield running.base_url, running
    running.stop()


class Tally:
    def __init__(self) -> None:
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.bad_failures: list[str] = []  # failures that are not a JSON 503
        self.transport_errors: Counter[str] = Counter()  # other than keep-alive resets
        self.resets = 0  # the connection closed before an answer: see the docstring

    def record(self, name: str, response: httpx.Response) -> None:
        self.statuses[name, response.status_code] += 1
        if response.status_code < 400:
            return
        try:
            clean = response.status_code == 503 and "detail" in response.json()
        except ValueError:
            clean = False
        if not clean and len(self.bad_failures) < 20:
            self.bad_failures.append(f"{name} {response.status_code} {response.text[:200]}")


async def burst(base_url: str, tally: Tally) -> None:
    deadline = time.monotonic() + SECONDS
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)

    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT
    ) as client:

        async def worker() -> None:
            while time.monotonic() < deadline:
                for name, method, path, body in [
                    ("POST /api/devices", "POST", "/api/devices", DEVICE),
                    ("GET /api/users", "GET", "/api/users?limit=10", None),
                ]:
                    try:
                        tally.record(name, await client.request(method, path, json=body))
                    except (httpx.ReadError, httpx.RemoteProtocolError):
                        tally.resets += 1
                    except httpx.HTTPError as exc:
                        tally.transport_errors[f"{name}: {type(exc).__name__}"] += 1

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


def test_overload_fails_cleanly_and_survives(service):
    base_url, running = service
    tally = Tally()
    started = time.monotonic()
    asyncio.run(burst(base_url, tally))
    elapsed = time.monotonic() - started

    total = sum(tally.statuses.values())
    rate = total / elapsed
    print(f"\n{total} answers in {elapsed:.0f} s ({rate:.0f}/s), {CONNECTIONS} connections")
    for (name, status), count in sorted(tally.statuses.items()):
        print(f"  {name}: {status} x {count}")
    for error, count in tally.transport_errors.items():
        print(f"  transport error {error} x {count}")
    print(f"  connection reset before an answer (keep-alive race) x {tally.resets}")

    assert running is None or running.alive(), "the service process died"
    assert not tally.bad_failures, "failures other than a JSON 503:\n" + "\n".join(
        tally.bad_failures
    )
    assert not any(status == 500 for _, status in tally.statuses)
    assert not tally.transport_errors, f"transport errors: {dict(tally.transport_errors)}"
    assert tally.resets <= MAX_RESET_SHARE * (total + tally.resets), f"{tally.resets} resets"

    # And it recovers by itself once the load stops.
    deadline = time.monotonic() + 30
    while (health := httpx.get(f"{base_url}/healthz", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, f"not healthy 30 s after the burst: {health.text}"
        time.sleep(1)
