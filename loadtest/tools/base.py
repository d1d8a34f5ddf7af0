"""The types every load tool shares: what to send, how to run it, what it measured."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from ..scenarios import Scenario


@dataclass
class Load:
    """What to send: a scenario at a concurrency (closed loop) or a rate (open loop)."""

    scenario: Scenario
    users: int
    duration_s: float
    rate: float | None = None  # open loop: arrivals per second
    keepalive: bool = True
    params: dict[str, int] = field(default_factory=dict)  # the scenario's parameters (its defaults else)
    firmware_prefix: str = "wsb-"  # marks the rows a run inserts

    @property
    def max_vus(self) -> int:
        """Open loop: enough virtual users that arrivals are not dropped for want of one."""
        return max(self.users * 2, 50)


@dataclass
class Invocation:
    argv: list[str]
    stdout: Path  # where the tool's standard output goes
    env: dict[str, str] = field(default_factory=dict)  # on top of the harness's environment


@dataclass
class ToolResult:
    tool: str
    duration_s: float  # the measured window
    status_codes: dict[str, int]  # completed responses by status
    transport_errors: dict[str, int]  # requests that got no response, by kind
    latency_ms: dict[str, float | None]  # p50 p90 p95 p99 max mean, over completed responses
    aborted_at_deadline: int = 0  # in flight when the window closed: neither success nor error
    dropped: int | None = None  # open loop: arrivals due in the window that were never sent
    arrivals: int | None = None  # open loop: arrivals due in the window (target x window)
    notes: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        """Requests sent: answered, failed without an answer, or aborted at the deadline."""
        return sum(self.status_codes.values()) + sum(self.transport_errors.values()) + self.aborted_at_deadline


OPEN_LOOP_RATE_TOLERANCE = 0.02  # an open-loop level must deliver its target rate within 2 %
OPEN_LOOP_DROP_TOLERANCE = 0.001  # and drop at most this share of its arrivals


def open_loop_delivered(result: ToolResult, target_rps: float) -> bool:
    """An open-loop level measures the service only when the generator held the rate: it sent
    at least 98 % of target x window and dropped at most 0.1 % of the arrivals due (a handful
    left at the deadline: oha misses a few ticks of the last millisecond at 6,000/s and more;
    one k6 iteration in 400 is already too many). Otherwise the generator, not the service,
    set the rate: the level is generator-bound."""
    window = result.duration_s
    if window <= 0:
        return False
    return rate_held(result.sent / window, target_rps, result.dropped, result.arrivals or target_rps * window)


def rate_held(sent_rps: float, target_rps: float, dropped: int | None, due: float) -> bool:
    """The open-loop rule on plain figures (levels and calibration runs alike)."""
    return (sent_rps >= (1 - OPEN_LOOP_RATE_TOLERANCE) * target_rps
            and (dropped or 0) <= OPEN_LOOP_DROP_TOLERANCE * due)


class Tool(Protocol):
    name: str
    min_duration_s: float  # shortest level the tool can run
    open_loop: bool  # holds a constant arrival rate and counts the arrivals it dropped
    raw_suffix: str  # the file extension of its raw output (json, txt)

    def version(self) -> str | None: ...
    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation: ...
    def parse(self, raw: bytes, load: Load) -> ToolResult: ...


class Windowed(Protocol):
    """What a tool also offers to run a bare window of a fault run (chaos's overload): requests
    in flight at the deadline aborted and reported apart, a timeout per request, and with
    per_request one line per answered request, read back by parse_ends as (end time in seconds
    from the start, status)."""

    def window_argv(self, url: str, users: int, duration_s: float, per_request: bool,
                    timeout_s: float) -> list[str]: ...
    def parse(self, raw: bytes, load: Load) -> ToolResult: ...
    def parse_ends(self, raw: bytes) -> list[tuple[float, str]]: ...


@cache
def version_line(binary: Callable[[], str], *args: str) -> str | None:
    """The first line a tool prints for its version command (`binary` finds the tool), once per
    run, or None when it is missing or cannot run."""
    try:
        argv = [binary(), *args]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):  # FileNotFoundError: the tool is not installed
        return None
    return out.splitlines()[0] if out else None
