"""Run one protocol: build (and gate) its rungs, start them together, warm up, then measure
every step in seeded interleaved rounds (the sweep's approach, loadtest/measurement/schedule.py's
randomized multiple interleaved trials), then replay its claimed failures with bounded ramps.
The rungs live on a Bench (bench.py), as a sweep's services do; each measurement is one
build_level() (level.py), so every figure carries its bound."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import analysis, runtime, tools
from ..core.config import settings
from ..measurement import schedule
from ..measurement.bench import Bench
from ..records.level import Level
from ..scenarios import SCENARIOS
from ..servers import databases, manifest
from ..tools import Load
from .base import (
    PAUSE_S,
    WARMUP_S,
    CountedLoad,
    Protocol,
    Ramp,
    Step,
    scaled_requests,
    step_seconds,
)


@dataclass
class Options:
    scale: float = 1.0  # request counts and durations: 1 = the protocol's own
    rounds: int | None = None  # None: the protocol's
    seed: int = 0
    skip_gate: bool = False
    gated: dict[str, dict] = field(default_factory=dict)  # service -> gate result, shared by --all


@dataclass
class StepResult:
    step: Step
    levels: list[Level]


@dataclass
class RampResult:
    ramp: Ramp
    levels: dict[str, list[Level]]  # service -> one level per load, in ramp order
    offered: dict[str, list[int]]  # service -> the load of each level
    at_s: dict[str, list[float]]  # service -> when each level started, from the ramp's start
    log_hits: dict[str, list[int]]
    notes: list[str] = field(default_factory=list)


@dataclass
class Replay:
    protocol: Protocol
    steps: list[StepResult]
    ramps: list[RampResult]
    seconds: float
    rounds: int
    seed: int
    scale: float
    placement: dict
    gate: dict[str, str] = field(default_factory=dict)  # rung -> contract gate: passed | failed | skipped
    failures: list[str] = field(default_factory=list)  # what could not be measured, and why
    measured_by: dict = field(default_factory=dict)  # command, started_at, commit


@dataclass
class Ctx:
    protocol: Protocol
    opts: Options
    bench: Bench


def run(protocol: Protocol, opts: Options, workdir: Path, console) -> Replay:
    rt = runtime.make("native")
    bench = Bench(rt, workdir, console, skip_gate=opts.skip_gate, gated=opts.gated)
    ctx = Ctx(protocol, opts, bench)
    t0, rounds = time.monotonic(), opts.rounds or protocol.rounds
    with rt.servers(protocol.services()), bench:
        set_connection_limit(-1)  # a replay interrupted mid-ramp may have left its limit
        _start_rungs(ctx)
        _warm_up(ctx)
        steps = _measure_steps(ctx, rounds)
        ramps = [_ramp(ctx, r, steps) for r in protocol.ramps]
    gate = {s: opts.gated[s]["status"] if s in opts.gated else "not run" for s in protocol.services()}
    return Replay(protocol, steps, ramps, time.monotonic() - t0, rounds, opts.seed, opts.scale,
                  rt.placement.as_dict(), gate, bench.failures)


def _start_rungs(ctx: Ctx) -> None:
    """Build, gate (once per service per command) and start every rung with its knobs."""
    scenarios = list(dict.fromkeys([s.scenario for s in ctx.protocol.steps] +
                                   [r.scenario for r in ctx.protocol.ramps]))
    ctx.bench.before_run(scenarios)
    for rung in ctx.protocol.rungs:
        m = manifest.load(rung.service)
        m = dataclasses.replace(m, env={**m.env, **rung.env})  # the manifest's env wins over the contract's
        ctx.bench.prepare(m, scenarios)


def _warm_up(ctx: Ctx) -> None:
    """A short run of the step's own tool per rung and step: pools filled, code paths hot.
    Light (at most 10 users, the scenario's default parameters) so that no warm-up leaves a
    long queue behind it."""
    for step in ctx.protocol.steps:
        for service in step.services:
            load = Load(SCENARIOS[step.scenario], min(step.users[0], 10), max(1.0, WARMUP_S * ctx.opts.scale),
                        keepalive=step.keepalive,
                        firmware_prefix=ctx.bench.firmware_prefix)
            ctx.bench.warm_up(service, step.tool, load, f"{ctx.protocol.name}.{step.name}")


def visits(steps: tuple[Step, ...], n_rounds: int, seed: int) -> list[list[schedule.Visit]]:
    """Every (step, rung, users) once per round, each round in an order drawn from the seed."""
    cells = [schedule.Visit(0, s.scenario, service, users, step=s.name)
             for s in steps for service in s.services for users in s.users]
    return schedule.shuffled(cells, n_rounds, seed)


def _measure_steps(ctx: Ctx, n_rounds: int) -> list[StepResult]:
    by_name = {s.name: StepResult(s, []) for s in ctx.protocol.steps}
    for visit in (v for rnd in visits(ctx.protocol.steps, n_rounds, ctx.opts.seed) for v in rnd):
        if visit.service not in ctx.bench.handles:
            continue
        step = by_name[visit.step].step
        duration, requests = step_seconds(step, ctx.opts.scale), scaled_requests(step, ctx.opts.scale)
        load = CountedLoad(SCENARIOS[step.scenario], visit.users, duration, keepalive=step.keepalive,
                           params=step.params, firmware_prefix=ctx.bench.firmware_prefix, requests=requests)
        name = f"{ctx.protocol.name}.{step.name}.{visit.service}.u{visit.users}.r{visit.round}.{step.tool}"
        ctx.bench.console.print(f"round {visit.round}: {step.name} {visit.service} {visit.users} users")
        level = measure(ctx, visit.service, step.tool, load, name, visit.round)
        if level is not None:
            by_name[step.name].levels.append(level)
    return list(by_name.values())


def measure(ctx: Ctx, service: str, tool: str, load: Load, name: str, rnd: int) -> Level | None:
    """One level, as the sweep takes it (bench.py), then the rung left to settle: a tool stopped
    at its time bound (ab -t) abandons requests the service still computes (fib), which would
    otherwise land on the next measurement."""
    raw = ctx.bench.workdir / "raw" / f"{name}.{tools.get(tool).raw_suffix}"
    level = ctx.bench.visit(service, tool, load, raw, rnd, settle=True)
    time.sleep(PAUSE_S)
    return level


def _ramp(ctx: Ctx, ramp: Ramp, steps: list[StepResult]) -> RampResult:
    result = RampResult(ramp, {}, {}, {}, {})
    with connection_limit(ramp.pg_connection_limit, result.notes):
        for service in dict.fromkeys((ramp.failing, ramp.fixed)):
            if service in ctx.bench.handles:
                _ramp_one(ctx, ramp, service, ramp_loads(ramp, steps, ctx.opts.scale), result)
            else:
                result.notes.append(f"{service} was not running: not ramped")
    return result


def ramp_loads(ramp: Ramp, steps: list[StepResult], scale: float) -> list[int]:
    """Open loop: ramp.loads are percentages of the failing rung's figure (analysis.plateaus) on the
    ramp's scenario (so the ramp overloads it on any machine); closed loop: users, scaled."""
    if not ramp.open_loop:
        return [max(1, round(u * min(1.0, scale))) for u in ramp.loads]
    levels = [lv for s in steps if s.step.scenario == ramp.scenario for lv in s.levels]
    found = analysis.plateaus(levels).get((ramp.scenario, ramp.failing))
    peak = (found.ok_rps.value if found else None) or 1000.0
    return [max(1, round(peak * pct / 100)) for pct in ramp.loads]


def _ramp_one(ctx: Ctx, ramp: Ramp, service: str, loads: list[int], result: RampResult) -> None:
    """Increasing loads until availability falls below ramp.stop_below; the fixing rung gets
    the loads the failing one reached, no more."""
    if service == ramp.fixed and ramp.failing in result.offered:
        loads = loads[:len(result.offered[ramp.failing])]
    t0, duration = time.monotonic(), max(1.0, ramp.step_s * ctx.opts.scale)
    for key in ("levels", "offered", "at_s", "log_hits"):
        getattr(result, key)[service] = []
    for i, load_value in enumerate(loads, 1):
        at_s, log_from = time.monotonic() - t0, _log_size(ctx.bench.handles.get(service))
        scenario = SCENARIOS[ramp.scenario]
        prefix = ctx.bench.firmware_prefix
        load = (Load(scenario, ramp.vus, duration, rate=load_value, firmware_prefix=prefix)
                if ramp.open_loop else Load(scenario, load_value, duration, firmware_prefix=prefix))
        ctx.bench.console.print(f"ramp {ramp.name}: {service} at {load_value} {'req/s' if ramp.open_loop else 'users'}")
        level = measure(ctx, service, ramp.tool, load, f"{ctx.protocol.name}.{ramp.name}.{service}.s{i}", i)
        if level is None:
            return
        hits = _log_hits(ctx.bench.handles.get(service), log_from, ramp.log_pattern)
        for key, value in (("levels", level), ("offered", load_value), ("at_s", at_s), ("log_hits", hits)):
            getattr(result, key)[service].append(value)
        avail = availability(level, load_value if ramp.open_loop else None)
        if avail is not None and avail < ramp.stop_below:
            return


def availability(level: Level, offered_rate: int | None) -> float | None:
    """Successes over what was offered: open loop, the arrivals (dropped ones included)."""
    if offered_rate:
        offered = offered_rate * level.duration_s if level.duration_s else 0
        return min(1.0, level.ok / offered) if offered else None
    return level.availability


def _log_size(handle) -> int:
    try:
        return os.path.getsize(handle.log) if handle else 0
    except OSError:
        return 0


def _log_hits(handle, start: int, pattern: str) -> int:
    """Lines of the service's log since `start` that name the failure (case-insensitive)."""
    if not handle or not pattern:
        return 0
    try:
        with open(handle.log, "rb") as f:
            f.seek(start)
            text = f.read(50_000_000).decode(errors="replace").lower()
    except OSError:
        return 0
    return sum(1 for line in text.splitlines() if pattern.lower() in line)


class connection_limit:
    """The write-up's PostgreSQL allowed 100 connections; ours allows 1000. For a ramp only,
    `ALTER DATABASE ... CONNECTION LIMIT n` (the bench role owns the database, so no restart
    and no superuser): new connections beyond n fail with SQLSTATE 53300, the class of
    "too many clients already". Lifted on exit, and at the start of every replay."""

    def __init__(self, limit: int | None, notes: list[str]):
        self.limit, self.notes = limit, notes

    def __enter__(self):
        if self.limit is not None:
            set_connection_limit(self.limit)
            self.notes.append(f"PostgreSQL database limited to {self.limit} connections for this ramp "
                              f"(ALTER DATABASE ... CONNECTION LIMIT), lifted afterwards")
        return self

    def __exit__(self, *exc) -> None:
        if self.limit is not None:
            set_connection_limit(-1)


def set_connection_limit(limit: int) -> None:
    """-1: no limit but the server's max_connections (db/infra.toml)."""
    name = settings()["postgres"]["database"]
    with databases.postgres() as conn:
        conn.execute(f'ALTER DATABASE "{name}" CONNECTION LIMIT {int(limit)}')
