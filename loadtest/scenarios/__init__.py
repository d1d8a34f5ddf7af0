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

__all__ = ["CHECK", "QUICK", "SCENARIOS", "LevelContext", "Scenario", "register"]
