"""What every fault gets (the service under test, its settings, the durations) and what it
gives back (measurements, criteria, a one-line cell for the table)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..measurement.bench import Bench
from ..runtime import service
from ..servers.manifest import Manifest
from . import toxiproxy

CHAOS_ENV = {"CACHE_TTL_SECONDS": "600"}  # keys must outlive the run to be checked
GiB = 1024**3


@dataclass(frozen=True)
class Profile:
    """Durations and sizes. FULL is the documented run; QUICK is CI's subset."""

    name: str
    outage_s: float = 5.0  # how long a database or memcached stays down
    before_s: float = 2.0  # load before a fault
    after_s: float = 2.0  # load after recovery
    recovery_limit_s: float = 5.0  # 2xx again within this of the dependency's return
    answer_limit_s: float = 5.0  # CONTRACT.md: a dead dependency is answered within 5 s
    concurrency: int = 8  # background load tasks at least (Context.concurrency: more for more slots)
    stall_s: float = 4.0  # external mock stalls past the timeout this long...
    error_s: float = 3.0  # ...then answers 500 this long
    settle_s: float = 6.0  # after the external fault, before resources are read (> 5 s stall)
    # A hung dependency (frozen, black-holed, slow) is held longer than the contract's bounds
    # (3 s per step, 5 s per request), so that every request started during it must time out.
    hang_s: float = 8.0
    latency_s: float = 4.0  # added to every answer of a database: above its 3 s query bound
    client_timeout_s: float = 10.0  # the load's own: longer than 5 s, so a hang shows as one
    leak_slack_fds: int = 12  # fds/connections above the baseline that are not a leak
    leak_slack_threads: int = 2
    overload_users: int = 1000
    overload_s: float = 30.0
    throughput_users: int = 10
    throughput_s: float = 5.0  # the 10-user window before the overload
    recovery_window_s: float = 10.0  # the 10-user window after it, judged second by second
    throughput_ratio: float = 0.9
    goodput_ratio: float = 0.8  # 2xx/s during the overload against the 10-user rate before it
    # The documented run judges the speed of recovery: 2xx/s back to throughput_ratio of before
    # within recovery_limit_s, second by second. CI's quick subset does not: its machine is
    # shared and noisy, and a test never asserts a speed (README). It checks that the service
    # answers 2xx, and only 2xx, in every second after the overload, and records the rates.
    judge_throughput: bool = True
    rss_limit: int = 2 * GiB
    # Each fault runs this many times per service; the table shows the worst, and a fault that
    # fails once in them fails.
    repeats: int = 3
    # A slow but living database: every answer this late, well under the 3 s statement bound
    # and, over every round trip of one request, under its 5 s (io-mix makes about 50).
    slow_postgres_s: float = 0.2
    slow_mariadb_s: float = 0.03
    idle_s: float = 1.0  # the service idle, its pool warm, before PostgreSQL is restarted
    cold_errors_s: float = 1.0  # after that restart, 503s allowed for requests started this early
    trickle_s: float = 5.0  # the upstream's body takes this long (past EXTERNAL_TIMEOUT_SECONDS)
    in_flight_s: float = 1.0  # SIGTERM: upstream requests this long are in flight at the signal
    exit_limit_s: float = 10.0  # SIGTERM: the process is gone within this
    slow_clients_s: float = 10.0  # slow-loris connections held this long...
    slow_clients_max: int = 256  # ...at most this many (4 per request slot + 16)
    drip_s: float = 1.0  # a slow client sends a header line or a body byte this often


FULL = Profile("full")
QUICK = Profile("quick", outage_s=3.0, before_s=1.5, after_s=1.0, stall_s=3.0, error_s=2.0,
                hang_s=6.0, slow_clients_s=6.0, overload_users=300, overload_s=5.0, throughput_s=3.0, recovery_window_s=3.0,
                judge_throughput=False, repeats=1)
PROFILES = {p.name: p for p in (FULL, QUICK)}


@dataclass
class Context:
    """The service under test, started and restarted by the bench (bench.py) in its own box,
    as a sweep starts it, at one fixed port so that a load outlives a restart."""

    manifest: Manifest
    port: int
    profile: Profile
    run_id: str
    raw_dir: Path
    bench: Bench
    notes: list[str] = field(default_factory=list)
    via_proxy: bool = False  # DATABASE_URL, MYSQL_URL, MEMCACHED_ADDR point at Toxiproxy
    restarts: int = 0
    repeat: int = 1  # which run of the fault this is (Profile.repeats)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mock_key(self) -> str:
        return self.bench.mock_keys[self.manifest.name]

    @property
    def slots(self) -> int:
        """Requests the service handles at once by its manifest: workers x threads (django's
        gthread: 8; an event loop: 1, it does not block on a request)."""
        return self.manifest.workers * self.manifest.threads

    @property
    def concurrency(self) -> int:
        """The background load's tasks: at least twice the service's slots, so a service that
        serves a request per thread has a queue."""
        return max(self.profile.concurrency, 2 * self.slots)

    @property
    def running(self) -> service.Running | None:
        """The service's process (pid, log), None before it started."""
        handle = self.bench.handles.get(self.manifest.name)
        return handle.running if handle is not None else None

    def env(self) -> dict[str, str]:
        return {**CHAOS_ENV, **(toxiproxy.service_env() if self.via_proxy else {})}

    def tag(self, fault: str) -> str:
        """The firmware prefix of one fault's devices: unique per run, service, fault and repeat."""
        return f"chaos-{self.run_id}-{self.manifest.name}-{fault}-r{self.repeat}-"

    def start_service(self) -> service.Running:
        """Start the service again (stopped first if it still runs), as it runs now."""
        if self.running is not None and self.running.log.exists():
            # The new process reuses the port, hence the log's name: keep the old one's.
            self.restarts += 1
            shutil.copy(self.running.log, self.raw_dir / f"{self.manifest.name}-{self.restarts}.log")
        self.bench.restart(self.manifest.name, self.env())
        return self.running

    def route(self, via_proxy: bool) -> None:
        """Restart the service with its dependencies direct or through Toxiproxy, if that is
        not how it runs now (faults of one kind run in a row: one restart for all of them)."""
        if via_proxy == self.via_proxy:
            return
        if via_proxy:
            toxiproxy.start()
        self.via_proxy = via_proxy
        self.start_service()


@dataclass
class Outcome:
    """One fault against one service: every measurement, each criterion, a table cell."""

    fault: str
    measured: dict = field(default_factory=dict)
    criteria: dict[str, bool] = field(default_factory=dict)
    cell: str = ""
    error: str | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.criteria) and all(self.criteria.values())

    def as_dict(self) -> dict:
        return {"fault": self.fault, "passed": self.passed, "cell": self.cell,
                "criteria": self.criteria, "failed": [k for k, v in self.criteria.items() if not v],
                "error": self.error, "seconds": round(time.monotonic() - self.started, 1),
                "measured": self.measured}


def seconds(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f} s"


@dataclass(frozen=True)
class Fault:
    """One fault: its name on the command line, what it does (run), and how the table names it
    (column) and judges it (criterion); both are templates filled from the Profile."""

    name: str
    run: Callable[[Context], Outcome]
    column: str
    criterion: str
    proxied: bool = False  # the service reaches its dependencies through Toxiproxy
    group: str = "Outages, upstream, overload, kill"  # the table this fault's column is in
