"""The six benchmark scenarios: one request shape each, and the status that counts as success."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

DEVICE_BODIES = 10_000


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str  # may contain {fib_n}
    expected_status: int
    body: str = ""  # "" none, "devices" unique device bodies, else a literal JSON body

    def url(self, base_url: str, fib_n: int = 25) -> str:
        return base_url + self.path.format(fib_n=fib_n)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("devices-get", "GET", "/api/devices", 200),
    Scenario("devices-post", "POST", "/api/devices", 201, body="devices"),
    Scenario("users", "GET", "/api/users", 200),
    Scenario("fib", "GET", "/api/fib/{fib_n}", 200),
    Scenario("fetch-external", "GET", "/api/fetch-external", 200),
    Scenario("io-mix", "POST", "/api/io-mix", 200, body="{}"),
)}


def get(name: str) -> Scenario:
    return SCENARIOS[name]


def write_device_bodies(path: Path, firmware_prefix: str, count: int = DEVICE_BODIES,
                        seed: int = 1) -> Path:
    """Distinct valid POST /api/devices bodies, one per line, for `oha -Z` (which picks a random
    line per request). Repeats are harmless: the service generates the uuid, so every request
    inserts its own row and sets its own cache key whatever the body; distinct bodies only make
    sure nothing could be answered from a cache keyed on the body."""
    rng = random.Random(seed)
    # The firmware carries the run's prefix so the harness can find (and delete) its own rows.
    lines = []
    for i in range(count):
        mac = "-".join(f"{b:02X}" for b in rng.randbytes(6))
        lines.append(json.dumps({"mac": mac, "firmware": f"{firmware_prefix}{i}.{rng.randrange(1000)}"},
                                separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n")
    return path
