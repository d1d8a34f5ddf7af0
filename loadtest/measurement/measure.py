"""One level, measured: the load tool pinned to its core, and around it the service's CPU,
memory and database connections, the servers' and the host's CPU, the idle services' CPU and
the scenario's own check; then build_level(). The sweep and the write-up replays both measure
through this one function."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..records import results
from ..records.level import Level, RawLevel, build_level
from ..runtime import Handle, Runtime, generator, probes
from ..scenarios import LevelContext
from ..tools import Load


def measure_level(rt: Runtime, svc: Handle, service: str, tool: str, load: Load, raw: Path,
                  workdir: Path, hooks: LevelContext, round_: int = 1, block: int | None = None,
                  ceiling_rps: float | None = None, idle: dict[str, Handle] | None = None) -> Level:
    scenario = load.scenario
    state = scenario.before_level(hooks)
    svc.reset_memory_peak()
    started_at, loadavg = results.utc_now(), os.getloadavg()[0]
    cpu0, idle0, host, servers = svc.cpu(), _cpu(idle), probes.HostCpu(), rt.server_cpu()
    sampler = svc.connections()
    sampler.start()
    t0 = time.monotonic()
    try:
        gen = generator.run(tool, load, svc.base_url, raw, rt.placement.generator_cpus, workdir)
    finally:
        connections = sampler.finish()
    elapsed = time.monotonic() - t0
    service_cpu = svc.cpu_figures(cpu0, svc.cpu(), elapsed)
    idle_s, databases = _usage_s(idle0, _cpu(idle)), servers.percent(elapsed)
    counts = {"status_codes": gen.result.status_codes, "aborted_at_deadline": gen.result.aborted_at_deadline}
    return build_level(RawLevel(
        service=service, scenario=scenario.name, users=load.users, started_at=started_at,
        expected_status=scenario.expected_status, tool=gen.result, generator_cpu_of_core=gen.cpu_of_core,
        service_cpu=service_cpu, service_memory=svc.memory(), target_rps=load.rate,
        ceiling_rps=ceiling_rps, host_loadavg_1m=loadavg, databases=databases,
        db_connections=connections,
        host_cpu=host.split(elapsed, service_cpu.usage_s, gen.cpu_s, databases, idle_s),
        check=scenario.after_level(hooks, state, counts), service_alive=svc.alive(),
        raw=str(raw.relative_to(workdir)), round=round_, block=block, cpu_count=os.cpu_count() or 1,
        upstream=scenario.upstream, idle_services_cpu_s=idle_s))


def _cpu(handles: dict[str, Handle] | None) -> dict[str, object]:
    return {name: h.cpu() for name, h in (handles or {}).items()}


def _usage_s(before: dict[str, object], after: dict[str, object]) -> float | None:
    """CPU seconds the services not being measured used during a level."""
    deltas = [(getattr(after.get(n), "usage_ns", None), getattr(c0, "usage_ns", None)) for n, c0 in before.items()]
    usable = [(b - a) / 1e9 for b, a in deltas if a is not None and b is not None]
    return sum(usable) if usable else None
