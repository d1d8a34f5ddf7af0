"""What a reproduction protocol is: one public write-up's claim, its conditions, its tool, load
shape and knobs, the services (rungs) that stand for its apps and why, the figures it claimed,
and how its verdict is decided. Each write-up is one module of this package defining one
Protocol, registered in loadtest/reproduce/__init__.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..tools import Load

WARMUP_S = 5.0  # per rung and step, before the first round
START_S = 10.0  # start + health check of one rung
PAUSE_S = 1.0  # between two measurements
GATE_S = 45.0  # one contract-suite run per service (skipped with --skip-gate)


@dataclass
class CountedLoad(Load):
    """A load bounded by a request count as well as by its duration (ab -n, oha -n)."""

    requests: int | None = None


@dataclass(frozen=True)
class Rung:
    """A service standing for one of the write-up's apps."""

    service: str
    stands_for: str  # the write-up's app
    why: str  # why this service is the closest match
    env: dict[str, str] = field(default_factory=dict)  # knobs the contract allows (POOL_SIZE)


@dataclass(frozen=True)
class Step:
    """One measured comparison: the write-up's request, tool and knobs, on two or more rungs.

    ratio = fast / slow of successful requests/s, round by round. `kind` says how the
    write-up's ratio is compared: "about" (a figure), "at_least" (a lower bound: the faster app
    was never saturated), "direction" (qualitative: only who wins), "parity" (no big
    difference claimed)."""

    name: str
    scenario: str
    tool: str
    services: tuple[str, ...]
    fast: str
    slow: str
    claimed_ratio: float
    kind: str = "about"
    users: tuple[int, ...] = (10,)  # several: the peak over them, as the write-up's sweep
    duration_s: float = 10.0  # the window, or the time bound of a count-bounded step
    requests: int | None = None  # count-bounded (oha -n, ab -n)
    keepalive: bool = True
    params: dict[str, int] = field(default_factory=dict)  # the scenario's parameters (scenarios/)
    claimed: dict[str, str] = field(default_factory=dict)  # service -> the write-up's figures, as text
    p99_at: int | None = None  # users at which the write-up's p99 is compared
    expected_s: dict[str, float] = field(default_factory=dict)  # service -> a count-bounded measurement's usual time


@dataclass(frozen=True)
class Ramp:
    """A bounded replay of a claimed failure: `failing` under increasing load until its
    availability falls below `stop_below` (or the loads run out), then `fixed`, the rung that
    fixes it, under the same loads. Open loop: loads are arrival rates (k6); else users."""

    name: str
    scenario: str
    tool: str
    failing: str
    fixed: str
    loads: tuple[int, ...]
    step_s: float
    claimed: str  # what the write-up saw, in words
    open_loop: bool = False
    stop_below: float = 0.10
    log_pattern: str = ""  # the failure's words in the service's log ("too many")
    pg_connection_limit: int | None = None  # the write-up's server allowed fewer connections
    vus: int = 500  # open loop: k6 may use twice this many VUs


@dataclass(frozen=True)
class Protocol:
    name: str  # the command's argument
    title: str
    source: str  # the write-up's repository or address
    claim: str  # what it claimed, in words
    conditions: str  # its machine, servers, limits
    tool: str  # its tool and command line
    shape: str  # its load shape
    rungs: tuple[Rung, ...]
    steps: tuple[Step, ...]
    ramps: tuple[Ramp, ...] = ()
    rounds: int = 3
    differences: tuple[str, ...] = ()  # where this replay cannot be the write-up's, and what that may change
    sweep_scenarios: tuple[str, ...] = ()  # this project's own sweep figures to show beside

    def rung(self, service: str) -> Rung:
        return next(r for r in self.rungs if r.service == service)

    def services(self) -> list[str]:
        return [r.service for r in self.rungs]

    def expected_seconds(self, scale: float = 1.0, gate: bool = True) -> float:
        """Start, warm-up, rounds of every step, ramps: an upper estimate."""
        total = len(self.rungs) * (START_S + (GATE_S if gate else 0))
        for s in self.steps:
            for service in s.services:
                per = min(step_seconds(s, scale), s.expected_s.get(service, s.duration_s) * scale) + PAUSE_S
                total += WARMUP_S + self.rounds * len(s.users) * per
        for r in self.ramps:
            total += 2 * len(r.loads) * (r.step_s * scale + PAUSE_S + (10 if r.open_loop else 2))
        return total


def step_seconds(s: Step, scale: float) -> float:
    """The time bound of one measurement of a step at a scale (1 = the write-up's counts)."""
    return max(1.0, s.duration_s * scale)


def scaled_requests(s: Step, scale: float) -> int | None:
    if s.requests is None:
        return None
    return max(max(s.users), round(s.requests * scale))
