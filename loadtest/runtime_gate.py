"""pytest plugin of the contract gate under `sweep --runtime compose` (`pytest -p loadtest.runtime_gate`).

The contract suite's `servers` fixture calls infra.up(), which starts the native servers and
refuses a port another server holds. Under compose the servers are the stack's containers,
published on those same ports by compose/bench.yaml, so here infra.up() only checks that they
answer: the suite then probes the containers' PostgreSQL, MySQL and memcached unchanged."""

from __future__ import annotations

from loadtest import infra, procs
from loadtest.config import settings


def servers_answer() -> None:
    for name in infra.COMPONENTS:
        s = settings()[name]
        if not procs.port_open(s["host"], s["port"]):
            raise procs.InfraError(f"{name}: nothing answers on {s['host']}:{s['port']}, where "
                                   "compose/bench.yaml publishes it")


def pytest_configure(config) -> None:
    infra.up = servers_answer
