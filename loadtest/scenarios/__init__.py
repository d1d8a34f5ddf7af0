"""The benchmark scenarios: one request shape each, the status that counts as success, and the
hooks a scenario needs around its levels (reset a table, check rows, set the upstream's delay).

A new scenario is one new module in this package that defines a `Scenario` (or a subclass with
hooks), registered in SCENARIOS below. The sweep, the load tools and the fault runs read only
this definition: no scenario name appears anywhere else in the harness."""

from __future__ import annotations

from .base import LevelContext, Scenario
from .devices_get import DEVICES_GET
from .devices_post import DEVICES_POST
from .fetch_external import FETCH_EXTERNAL
from .fib import FIB
from .io_mix import IO_MIX
from .users import USERS

SCENARIOS: dict[str, Scenario] = {}


def register(scenario: Scenario) -> Scenario:
    """Add a scenario (the built-in ones below, or one a test defines)."""
    SCENARIOS[scenario.name] = scenario
    return scenario


for _s in (DEVICES_GET, DEVICES_POST, USERS, FIB, FETCH_EXTERNAL, IO_MIX):
    register(_s)

# Roles, named here so that no other module names a scenario: the scenarios of `sweep --quick`
# (a first look of a few minutes), and the one `loadtest calibrate` checks its tools on (a read
# with no hooks that a real service answers from its database).
QUICK = (DEVICES_GET.name, FIB.name)
CHECK = USERS.name


def writing(server: str) -> Scenario:
    """The first scenario whose requests write to `server`: a fault of that server loads it."""
    return _first(lambda s: server in s.writes, f"writes to {server}")


def reading(server: str) -> Scenario:
    """The first scenario that only reads from `server`."""
    return _first(lambda s: server in s.reads and not s.writes, f"reads from {server}")


def upstream() -> Scenario:
    """The first scenario that waits on the upstream (the external mock)."""
    return _first(lambda s: s.upstream, "waits on the upstream")


def _first(wanted, what: str) -> Scenario:
    found = next((s for s in SCENARIOS.values() if wanted(s)), None)
    if found is None:
        raise LookupError(f"no scenario {what}")
    return found

__all__ = ["CHECK", "QUICK", "SCENARIOS", "LevelContext", "Scenario", "reading", "register", "upstream",
           "writing"]
