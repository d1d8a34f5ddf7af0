"""One measured level, as a typed value: the record of results.json's `levels`, built by one
pure function (build_level) from the raw figures the sweep collects, and read back from any
results.json by Level.model_validate. The sweep, the exporters, `summary`, `compare` and the
tests all use this one definition; the JSON shape is results.schema.json's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, model_validator

from ..scenarios import SCENARIOS
from ..tools import ToolResult, backfills_latency, open_loop_delivered

GENERATOR_BOUND_CPU = 0.90  # of one core: the tool was saturated
SERVICE_BUSY_CPU = 0.90  # of the service's quota: the service was saturated
THROTTLED_PERIODS = 0.20  # share of CFS periods throttled: the quota, not the load, limited it
DATABASE_BUSY_CPU = 0.90  # of one core: a database server was saturated
MACHINE_BUSY = 0.95  # share of all cores busy: no idle CPU left on the host
NEAR_CEILING = 0.90  # of the tool's calibrated ceiling
LITTLE_TOLERANCE = 0.10  # users vs throughput x mean latency
STEAL_LIMIT_PERCENT = 2.0  # hypervisor steal above this flags a level
OLDER_RUNS_CPU_COUNT = 2  # runs recorded before `bound` ran on this project's 2-core machines
BOUNDS = ("service", "generator", "database", "machine", "upstream", "unknown")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # runtimes add their own fields (compose, taskset)


class Latency(BaseModel):
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    mean: float | None = None


class Errors(BaseModel):
    total: int
    status: dict[str, int]
    transport: dict[str, int]


class ServiceCpu(_Open):
    percent_of_quota: float | None = None
    usage_s: float | None = None
    nr_periods: int | None = None
    nr_throttled: int | None = None
    throttled_s: float | None = None
    user_s: float | None = None  # of usage_s: in user space, and in the kernel for the service
    system_s: float | None = None  # (system calls, the network stack); None where not split
    source: str = "none"


class ServiceMemory(_Open):
    current_bytes: int | None = None
    peak_bytes: int | None = None
    peak_scope: str = "level"
    oom_kills: int | None = 0


class GeneratorFigures(BaseModel):
    cpu_percent_of_core: float
    bound: bool
    ceiling_rps: float | None = None


class Level(BaseModel):
    """Unknown fields are an error: everything a level holds is declared here (a scenario's own
    findings go in `check`, a runtime's own figures in service_cpu and service_memory)."""

    model_config = ConfigDict(extra="forbid")

    service: str
    scenario: str
    mode: str  # closed | open
    users: int
    target_rps: float | None = None
    achieved_ratio: float | None = None
    started_at: str
    host_loadavg_1m: float | None = None
    tool: str
    duration_s: float
    requests: int
    ok: int
    rps: float | None
    ok_rps: float | None
    latency_ms: Latency
    errors: Errors
    error_rate: float | None
    availability: float | None
    status_codes: dict[str, int]
    aborted_at_deadline: int = 0
    dropped: int | None = None
    tool_notes: list[str] = []
    service_cpu: ServiceCpu
    service_memory: ServiceMemory
    generator: GeneratorFigures
    databases: dict[str, dict] = {}
    host_cpu: dict | None = None
    db_connections: dict[str, dict] = {}
    check: dict | None = None  # the scenario's own check of the level (scenarios/, after_level)
    service_alive: bool = True
    raw: str = ""
    round: int = 1
    block: int | None = None  # the A B B A block of a blocked comparison (schedule.py), if any
    excluded: str | None = None  # why the analysis leaves this level out (kept for the record)
    cpu_per_request_us: float | None = None  # service CPU / successful responses
    bound: str = "unknown"  # what limited the level: one of BOUNDS
    littles_law: dict | None = None  # users vs throughput x mean latency
    idle_services_cpu_s: float | None = None  # the other services' CPU during the level

    @model_validator(mode="before")
    @classmethod
    def _check_of_older_runs(cls, data):
        """Runs of schema 2 stored devices-post's check as `devices_post`."""
        if isinstance(data, dict) and "devices_post" in data and "check" not in data:
            data = {k: v for k, v in data.items() if k != "devices_post"} | {"check": data["devices_post"]}
        return data

    @model_validator(mode="after")
    def _derive_for_older_runs(self) -> Level:
        """Runs recorded before these fields existed get them from what they stored."""
        if "cpu_per_request_us" not in self.model_fields_set and self.service_cpu.usage_s is not None and self.ok:
            self.cpu_per_request_us = 1e6 * self.service_cpu.usage_s / self.ok
        if "bound" not in self.model_fields_set:
            scenario = SCENARIOS.get(self.scenario)
            self.bound = classify(self.generator.bound, self.service_cpu, self.databases,
                                  self.host_cpu, OLDER_RUNS_CPU_COUNT, bool(scenario and scenario.upstream))
        return self

    @property
    def load(self) -> int:
        """What the level's load was: users (closed loop) or the target rate (open loop)."""
        return self.users if self.mode == "closed" else round(self.target_rps or 0)

    def steal_percent(self) -> float | None:
        """The hypervisor's steal during the level, in % of the machine's CPU time."""
        return (self.host_cpu or {}).get("steal_percent")

    def as_dict(self) -> dict:
        return self.model_dump(mode="json")


@dataclass
class RawLevel:
    """Everything the sweep collects for one level, before any figure is derived."""

    service: str
    scenario: str
    users: int
    started_at: str
    expected_status: int
    tool: ToolResult
    generator_cpu_of_core: float
    service_cpu: ServiceCpu
    service_memory: ServiceMemory
    target_rps: float | None = None
    ceiling_rps: float | None = None
    host_loadavg_1m: float | None = None
    databases: dict = field(default_factory=dict)
    host_cpu: dict | None = None
    db_connections: dict = field(default_factory=dict)
    check: dict | None = None  # the scenario's after_level check
    notes: list[str] = field(default_factory=list)
    service_alive: bool = True
    raw: str = ""
    round: int = 1
    block: int | None = None
    cpu_count: int = 2
    upstream: bool = False  # the scenario waits on an upstream by design (fetch-external)
    idle_services_cpu_s: float | None = None


def build_level(r: RawLevel) -> Level:
    """The level record from the raw figures: pure, so tests build levels exactly as a sweep."""
    counts = accounting(r.tool, r.expected_status)
    service_fraction = _fraction(r.service_cpu.percent_of_quota)
    gen_bound = (generator_bound(r.generator_cpu_of_core, service_fraction, counts["rps"] or 0, r.ceiling_rps)
                 or bool(r.target_rps and short_of_rate_by_generator(open_loop_delivered(r.tool, r.target_rps),
                                                                     service_fraction)))
    usage = r.service_cpu.usage_s
    return Level(
        service=r.service, scenario=r.scenario, mode="open" if r.target_rps else "closed",
        users=r.users, target_rps=r.target_rps, started_at=r.started_at,
        host_loadavg_1m=r.host_loadavg_1m, **counts,
        achieved_ratio=finite(counts["rps"] / r.target_rps) if r.target_rps and counts["rps"] else None,
        tool_notes=[*r.tool.notes, *r.notes],
        service_cpu=r.service_cpu, service_memory=r.service_memory,
        generator=GeneratorFigures(cpu_percent_of_core=100.0 * r.generator_cpu_of_core,
                                   ceiling_rps=r.ceiling_rps, bound=gen_bound),
        databases=r.databases, host_cpu=r.host_cpu, db_connections=r.db_connections,
        service_alive=r.service_alive, raw=r.raw, round=r.round, block=r.block,
        cpu_per_request_us=1e6 * usage / counts["ok"] if usage is not None and counts["ok"] else None,
        bound=classify(gen_bound, r.service_cpu, r.databases, r.host_cpu, r.cpu_count, r.upstream),
        littles_law=None if r.target_rps or backfills_latency(r.tool.tool)
        else littles_law(r.users, counts["rps"], r.tool.latency_ms.get("mean")),
        idle_services_cpu_s=r.idle_services_cpu_s, check=r.check,
    )


def classify(generator_bound_: bool, service_cpu: ServiceCpu, databases: dict, host_cpu: dict | None,
             cpu_count: int, upstream: bool) -> str:
    """What limited a level, first match wins: the generator (the figure is a floor), the
    service's own CPU quota, the upstream it waits on by design, a database server's CPU, the
    machine (no idle CPU left), or none of these that the harness can see."""
    if generator_bound_:
        return "generator"
    percent = service_cpu.percent_of_quota
    periods, throttled = service_cpu.nr_periods, service_cpu.nr_throttled
    if (percent is not None and percent >= 100 * SERVICE_BUSY_CPU) or (
            periods and throttled is not None and throttled / periods >= THROTTLED_PERIODS):
        return "service"
    if upstream:
        return "upstream"
    if any((d.get("cpu_percent_of_core") or 0) >= 100 * DATABASE_BUSY_CPU
           for name, d in databases.items() if name != "external_mock"):
        return "database"
    if host_cpu and (host_cpu.get("busy_cores") or 0) >= MACHINE_BUSY * cpu_count:
        return "machine"
    return "unknown"


def littles_law(users: int, rps: float | None, mean_ms: float | None) -> dict | None:
    """A closed loop of N users holds N requests: throughput x mean latency should equal N.
    A level more than 10 % off lost time outside the requests (the generator, connects)."""
    if not rps or mean_ms is None or users <= 0:
        return None
    expected = rps * mean_ms / 1000.0
    return {"in_flight": expected, "ratio": expected / users,
            "flagged": abs(expected / users - 1) > LITTLE_TOLERANCE}


def accounting(r: ToolResult, expected_status: int) -> dict:
    """The numbers people compare, computed from counts, never from a tool's own rates.

    requests = completed responses (any status); errors = responses with another status than
    the scenario expects + transport errors; availability = expected responses / attempts."""
    responses = sum(r.status_codes.values())
    ok = r.status_codes.get(str(expected_status), 0)
    transport = sum(r.transport_errors.values())
    attempts = responses + transport
    errors = attempts - ok
    d = r.duration_s if r.duration_s > 0 else float("nan")
    return {
        "tool": r.tool, "duration_s": r.duration_s, "requests": responses, "ok": ok,
        "rps": finite(responses / d), "ok_rps": finite(ok / d), "latency_ms": dict(r.latency_ms),
        "errors": {"total": errors,
                   "status": {k: v for k, v in sorted(r.status_codes.items()) if k != str(expected_status)},
                   "transport": dict(sorted(r.transport_errors.items()))},
        "error_rate": errors / attempts if attempts else None,
        "availability": ok / attempts if attempts else None,
        "status_codes": dict(sorted(r.status_codes.items())),
        "aborted_at_deadline": r.aborted_at_deadline, "dropped": r.dropped,
    }


def generator_bound(gen_cpu_of_core: float, service_cpu_of_quota: float | None,
                    rps: float, ceiling_rps: float | None) -> bool:
    """The generator, not the service, limited the level: it used nearly a full core while the
    service had CPU to spare, or the level reached 90 % of the tool's calibrated ceiling."""
    service_idle = service_cpu_of_quota is not None and service_cpu_of_quota < SERVICE_BUSY_CPU
    near_ceiling = bool(ceiling_rps) and rps >= NEAR_CEILING * ceiling_rps
    return (gen_cpu_of_core >= GENERATOR_BOUND_CPU and service_idle) or near_ceiling


def short_of_rate_by_generator(delivered: bool, service_cpu_of_quota: float | None) -> bool:
    """An open-loop level that did not get its arrival rate out measured the generator, unless
    the service was saturated: then the arrivals waited for a connection (oha) or a free VU
    (k6) because the service answered no faster, and the shortfall is the service's overload,
    which is what a ramp past the peak is looking for."""
    saturated = service_cpu_of_quota is not None and service_cpu_of_quota >= SERVICE_BUSY_CPU
    return not delivered and not saturated


def finite(x):
    """NaN and infinities are not JSON: store them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100.0
