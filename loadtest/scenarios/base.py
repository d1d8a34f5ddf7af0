"""What a scenario is: a request shape and its success status, its parameters, plus hooks
(all optional). Everything the harness knows of one scenario lives in its module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Param:
    """A setting of a scenario: its name in a run's options and in the path's {placeholders},
    its default, its command-line flag and what it means."""

    name: str
    default: int
    flag: str
    help: str


class Answered(Protocol):
    """What a fault run's client saw of one request (chaos/load.py's Sample)."""

    start: float  # monotonic seconds
    end: float
    wall_start: float  # the same moments on the wall clock (time.time()), which the service's
    wall_end: float  # timestamps share: a row's created_at tells which attempt inserted it
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    sent: dict | None  # the JSON body sent, if any
    answer: dict | None  # the JSON body of a 2xx, if any (None also for a 2xx without one)
    key: str | None  # the Idempotency-Key sent, if any: a retry sends the same
    detail: object  # the "detail" of an error answer, if any


@dataclass
class LevelContext:
    """What a scenario's hooks may use: the service's key on the external mock, the marker of
    the rows this run inserts, the run's directory, and the run's scenario parameters."""

    mock_key: str
    firmware_prefix: str
    workdir: Path
    params: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str  # may contain {placeholders} of its params
    expected_status: int
    summary: str = ""
    body: str = ""  # a literal JSON body sent with every request ("" for none)
    upstream: bool = False  # waits on an upstream by design: its throughput is the upstream's
    params: tuple[Param, ...] = ()
    writes: tuple[str, ...] = ()  # the servers its requests write to (rows, keys): fault runs check them
    reads: tuple[str, ...] = ()  # the servers it only reads from

    def values(self, params: Mapping[str, int] | None = None) -> dict[str, int]:
        """This scenario's parameters: the given values over the defaults."""
        given = params or {}
        return {p.name: int(given.get(p.name, p.default)) for p in self.params}

    def request_path(self, params: Mapping[str, int] | None = None) -> str:
        """The request's path with its parameters filled in (a load tool sends just this)."""
        return self.path.format(**self.values(params))

    def url(self, base_url: str, params: Mapping[str, int] | None = None) -> str:
        return base_url + self.request_path(params)

    def describe(self, params: Mapping[str, int] | None = None) -> str:
        """The name with its parameters, as reports print it: `fib (fib_n=25)`."""
        values = self.values(params)
        return f"{self.name} ({', '.join(f'{k}={v}' for k, v in values.items())})" if values else self.name

    # --- how reports show the per-level check (after_level's `check`); none by default ---
    def check_title(self) -> str:
        return ""

    def check_header(self) -> list[str]:
        return []

    def check_cells(self, check: dict) -> list[str]:
        return []

    def body_file(self, workdir: Path, firmware_prefix: str) -> Path | None:
        """A file of distinct bodies, one per line, when every request needs its own (oha -Z
        picks a random line per request; k6 builds its own from the same prefix)."""
        return None

    def request_body(self, tag: str, n: int) -> dict | None:
        """The JSON body of request n of a fault run (tag marks the rows it inserts)."""
        return None if self.method == "GET" else {}

    def idempotency_key(self, body: dict | None) -> str | None:
        """The Idempotency-Key a fault run sends with this body, so that it can retry an answer
        that does not say the write failed (503) or succeeded; None: the endpoint takes none."""
        return None

    # --- hooks around the measurement; each returns quickly and never raises on a mismatch ---
    def before_run(self, ctx: LevelContext) -> dict:
        """Once per sweep, before any service: fields recorded in results.json's run."""
        return {}

    def before_scenario(self, ctx: LevelContext) -> None:
        """Before each service's start for this scenario."""

    def before_level(self, ctx: LevelContext) -> object:
        """Before each level; what it returns is given to after_level."""
        return None

    def after_level(self, ctx: LevelContext, state: object, counts: dict) -> dict | None:
        """After each level, with its status counts: the level's `check` (what the scenario
        verified in the data), or None."""
        return None

    def after_scenario(self, ctx: LevelContext) -> None:
        """After each service's scenario, even a failed one (clean-up)."""

    # --- what a fault run's writes must leave behind (chaos/); a read checks nothing ---
    def write_state(self) -> object:
        """Before a fault run: what check_writes compares the end with."""
        return None

    def check_writes(self, answered: Sequence[Answered], tag: str, state: object,
                     cache_exempt_before: float | None = None) -> dict | None:
        """After a fault run whose requests' bodies carried `tag`: {"ok": nothing lost, ...}.
        cache_exempt_before: requests started before this may lack their cache entry."""
        return None

    def forget_writes(self, tag: str) -> None:
        """Remove what a fault run wrote."""

    def cached(self, answer: dict) -> bool:
        """Whether the cache holds what a 2xx answer says was written (memcached's faults)."""
        return False

    def writes_words(self) -> str:
        """What check_writes holds a run to, for the fault table's criteria."""
        return ""

    def check_words(self, check: dict) -> str:
        """check_writes's result in a few words, for the fault table's cells."""
        return "nothing lost" if check.get("ok") else "something lost"
