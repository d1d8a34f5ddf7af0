"""One measured level, as a typed value: the record of results.json's `levels`, built by one
pure function (build_level) from the raw figures the sweep collects, and read back from any
results.json by Level.model_validate. The sweep, the exporters, `summary`, `compare` and the
tests all use this one definition; the JSON shape is results.schema.json's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from .tools import ToolResult

GENERATOR_BOUND_CPU = 0.90  # of one core: the tool was saturated
SERVICE_BUSY_CPU = 0.90  # of the service's quota: the service was saturated
NEAR_CEILING = 0.90  # of the tool's calibrated ceiling


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


class Level(_Open):
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
    devices_post: dict | None = None
    service_alive: bool = True
    raw: str = ""

    @property
    def load(self) -> int:
        """What the level's load was: users (closed loop) or the target rate (open loop)."""
        return self.users if self.mode == "closed" else round(self.target_rps or 0)

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
    service_cpu: dict
    service_memory: dict
    target_rps: float | None = None
    ceiling_rps: float | None = None
    host_loadavg_1m: float | None = None
    databases: dict = field(default_factory=dict)
    host_cpu: dict | None = None
    db_connections: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # the scenario's after_level fields
    notes: list[str] = field(default_factory=list)
    service_alive: bool = True
    raw: str = ""


def build_level(r: RawLevel) -> Level:
    """The level record from the raw figures: pure, so tests build levels exactly as a sweep."""
    counts = accounting(r.tool, r.expected_status)
    service_fraction = _fraction(r.service_cpu.get("percent_of_quota"))
    return Level(
        service=r.service, scenario=r.scenario, mode="open" if r.target_rps else "closed",
        users=r.users, target_rps=r.target_rps, started_at=r.started_at,
        host_loadavg_1m=r.host_loadavg_1m, **counts,
        achieved_ratio=finite(counts["rps"] / r.target_rps) if r.target_rps and counts["rps"] else None,
        tool_notes=[*r.tool.notes, *r.notes],
        service_cpu=ServiceCpu(**r.service_cpu), service_memory=ServiceMemory(**r.service_memory),
        generator=GeneratorFigures(
            cpu_percent_of_core=100.0 * r.generator_cpu_of_core, ceiling_rps=r.ceiling_rps,
            bound=generator_bound(r.generator_cpu_of_core, service_fraction, counts["rps"] or 0,
                                  r.ceiling_rps)),
        databases=r.databases, host_cpu=r.host_cpu, db_connections=r.db_connections,
        service_alive=r.service_alive, raw=r.raw, **r.extra,
    )


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


def finite(x):
    """NaN and infinities are not JSON: store them as null."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100.0
