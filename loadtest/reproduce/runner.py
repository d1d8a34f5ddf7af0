"""Run one protocol: build (and gate) its rungs, start them together, warm up, then measure
every step in seeded interleaved rounds (the sweep's approach, loadtest/schedule.py's
randomized multiple interleaved trials), then replay its claimed failures with bounded ramps.
Each measurement is one build_level() (level.py), so every figure carries its bound."""

from __future__ import annotations

import dataclasses
import os
import random
import secrets
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .. import databases, generator, manifest, runtime, schedule
from ..config import settings
from ..errors import GeneratorError, InfraError
from ..level import Level
from ..measure import measure_level
from ..scenarios import SCENARIOS, LevelContext
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

SETTLE_LIMIT_S = 60.0  # longest wait for a rung to finish work abandoned by the last tool
SETTLE_IDLE = 0.10  # of its quota: the rung is idle again


@dataclass
class Options:
    scale: float = 1.0  # request counts and durations: 1 = the protocol's own
    rounds: int | None = None  # None: the protocol's
    seed: int = 0
    skip_gate: bool = False
    gated: dict[str, str] = field(default_factory=dict)  # service -> gate status, shared by --all


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
    rt: runtime.Runtime
    workdir: Path
    prefix: str  # marks the rows this replay inserts
    console: object
    handles: dict[str, runtime.Handle] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def run(protocol: Protocol, opts: Options, workdir: Path, console) -> Replay:
    rt = runtime.make("native")
    ctx = Ctx(protocol, opts, rt, workdir, f"wsb-{secrets.token_hex(4)}-", console)
    t0, rounds = time.monotonic(), opts.rounds or protocol.rounds
    with rt.servers(protocol.services()), ExitStack() as stack:
        set_connection_limit(-1)  # a replay interrupted mid-ramp may have left its limit
        _start_rungs(ctx, stack)
        _warm_up(ctx)
        steps = _measure_steps(ctx, rounds)
        ramps = [_ramp(ctx, r, steps) for r in protocol.ramps]
    gate = {s: opts.gated.get(s, "not run") for s in protocol.services()}
    return Replay(protocol, steps, ramps, time.monotonic() - t0, rounds, opts.seed, opts.scale,
                  rt.placement.as_dict(), gate, ctx.failures)


def _start_rungs(ctx: Ctx, stack: ExitStack) -> None:
    """Build, gate (once per service per command) and start every rung with its knobs."""
    scenarios = {s.scenario for s in ctx.protocol.steps} | {r.scenario for r in ctx.protocol.ramps}
    for name in scenarios:
        SCENARIOS[name].before_run(_hooks(ctx, "none"))
    for rung in ctx.protocol.rungs:
        m = manifest.load(rung.service)
        m = dataclasses.replace(m, env={**m.env, **rung.env})  # the manifest's env wins over the contract's
        try:
            ctx.rt.build(m)
            if not _gate(ctx, m):
                continue
            key = ctx.keys[m.name] = ctx.rt.mock_key(m)
            for name in scenarios:
                stack.callback(SCENARIOS[name].after_scenario, _hooks(ctx, key))
                SCENARIOS[name].before_scenario(_hooks(ctx, key))
            handle = ctx.rt.start(m, key)
            stack.callback(handle.stop)
            ctx.handles[m.name] = handle
        except (InfraError, GeneratorError) as e:
            _fail(ctx, m.name, str(e))


def _gate(ctx: Ctx, m: manifest.Manifest) -> bool:
    gated = ctx.opts.gated
    if m.name not in gated:
        ctx.console.print(f"{m.name}: contract gate{' skipped' if ctx.opts.skip_gate else ''}")
        gated[m.name] = ctx.rt.gate(m, skip=ctx.opts.skip_gate)["status"]
    if gated[m.name] == "failed":
        _fail(ctx, m.name, "contract suite failed: not measured")
    return gated[m.name] != "failed"


def _fail(ctx: Ctx, service: str, error: str) -> None:
    ctx.failures.append(f"{service}: {error[-600:]}")
    ctx.console.print(f"[red]{service}: {error[-600:]}[/]")
    ctx.handles.pop(service, None)


def _hooks(ctx: Ctx, key: str) -> LevelContext:
    return LevelContext(mock_key=key, firmware_prefix=ctx.prefix, workdir=ctx.workdir)


def _warm_up(ctx: Ctx) -> None:
    """A short oha run per rung and step: pools filled, code paths hot. Light (at most 10
    users, fib at most 25) so that no warm-up leaves a long queue behind it."""
    for step in ctx.protocol.steps:
        for service in step.services:
            if service not in ctx.handles:
                continue
            load = Load(SCENARIOS[step.scenario], min(step.users[0], 10), max(1.0, WARMUP_S * ctx.opts.scale),
                        keepalive=step.keepalive, fib_n=min(step.fib_n, 25), firmware_prefix=ctx.prefix)
            raw = ctx.workdir / "raw" / f"{ctx.protocol.name}.{step.name}.{service}.warmup.oha.json"
            try:
                generator.run("oha", load, ctx.handles[service].base_url, raw,
                              ctx.rt.placement.generator_cpus, ctx.workdir)
            except GeneratorError as e:
                _fail(ctx, service, f"{step.name} warm-up: {e}")


def visits(steps: tuple[Step, ...], n_rounds: int, seed: int) -> list[list[schedule.Visit]]:
    """Every (step, rung, users) once per round, each round in an order drawn from the seed."""
    rng = random.Random(seed)
    cells = [(s.name, service, users) for s in steps for service in s.services for users in s.users]
    out = []
    for r in range(1, n_rounds + 1):
        order = cells[:]
        rng.shuffle(order)
        out.append([schedule.Visit(r, step, service, users) for step, service, users in order])
    return out


def _measure_steps(ctx: Ctx, n_rounds: int) -> list[StepResult]:
    by_name = {s.name: StepResult(s, []) for s in ctx.protocol.steps}
    for visit in (v for rnd in visits(ctx.protocol.steps, n_rounds, ctx.opts.seed) for v in rnd):
        if visit.service not in ctx.handles:
            continue
        step = by_name[visit.scenario].step
        duration, requests = step_seconds(step, ctx.opts.scale), scaled_requests(step, ctx.opts.scale)
        load = CountedLoad(SCENARIOS[step.scenario], visit.users, duration, keepalive=step.keepalive,
                           fib_n=step.fib_n, firmware_prefix=ctx.prefix, requests=requests)
        name = f"{ctx.protocol.name}.{step.name}.{visit.service}.u{visit.users}.r{visit.round}.{step.tool}"
        ctx.console.print(f"round {visit.round}: {step.name} {visit.service} {visit.users} users")
        level = _measure_safely(ctx, visit.service, step.tool, load, name, visit.round)
        if level is not None:
            by_name[step.name].levels.append(level)
    return list(by_name.values())


def _measure_safely(ctx: Ctx, service: str, tool: str, load: Load, name: str, rnd: int) -> Level | None:
    try:
        level = measure(ctx, service, tool, load, name, rnd)
    except (InfraError, GeneratorError) as e:
        _fail(ctx, service, f"{name}: {e}")
        return None
    if not level.service_alive:
        _fail(ctx, service, f"{name}: the service died; see {ctx.handles[service].log}")
    _settle(ctx.handles.get(service))
    time.sleep(PAUSE_S)
    return level


def measure(ctx: Ctx, service: str, tool: str, load: Load, name: str, rnd: int) -> Level:
    """One level, as the sweep takes it (measure.measure_level)."""
    raw = ctx.workdir / "raw" / f"{name}.{'txt' if tool == 'ab' else 'json'}"
    return measure_level(ctx.rt, ctx.handles[service], service, tool, load, raw, ctx.workdir,
                         _hooks(ctx, ctx.keys[service]), rnd)


def _settle(handle, limit_s: float = SETTLE_LIMIT_S) -> None:
    """Wait until the rung is idle: a tool stopped at its time bound (ab -t) abandons requests
    the service still computes (fib), which would otherwise land on the next measurement."""
    if handle is None:
        return
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        c0, t0 = handle.cpu(), time.monotonic()
        time.sleep(0.5)
        figures = handle.cpu_figures(c0, handle.cpu(), time.monotonic() - t0)
        if (figures.get("percent_of_quota") or 0) < 100 * SETTLE_IDLE:
            return


def _ramp(ctx: Ctx, ramp: Ramp, steps: list[StepResult]) -> RampResult:
    result = RampResult(ramp, {}, {}, {}, {})
    with connection_limit(ramp.pg_connection_limit, result.notes):
        for service in dict.fromkeys((ramp.failing, ramp.fixed)):
            if service in ctx.handles:
                _ramp_one(ctx, ramp, service, ramp_loads(ramp, steps, ctx.opts.scale), result)
            else:
                result.notes.append(f"{service} was not running: not ramped")
    return result


def ramp_loads(ramp: Ramp, steps: list[StepResult], scale: float) -> list[int]:
    """Open loop: ramp.loads are percentages of the failing rung's measured peak on the ramp's
    scenario (so the ramp overloads it on any machine); closed loop: users, scaled."""
    if not ramp.open_loop:
        return [max(1, round(u * min(1.0, scale))) for u in ramp.loads]
    peaks = [lv.ok_rps or 0 for s in steps if s.step.scenario == ramp.scenario
             for lv in s.levels if lv.service == ramp.failing]
    peak = max(peaks, default=0) or 1000.0
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
        at_s, log_from = time.monotonic() - t0, _log_size(ctx.handles.get(service))
        scenario = SCENARIOS[ramp.scenario]
        load = (Load(scenario, ramp.vus, duration, rate=load_value, firmware_prefix=ctx.prefix)
                if ramp.open_loop else Load(scenario, load_value, duration, firmware_prefix=ctx.prefix))
        ctx.console.print(f"ramp {ramp.name}: {service} at {load_value} {'req/s' if ramp.open_loop else 'users'}")
        level = _measure_safely(ctx, service, ramp.tool, load, f"{ctx.protocol.name}.{ramp.name}.{service}.s{i}", i)
        if level is None:
            return
        hits = _log_hits(ctx.handles.get(service), log_from, ramp.log_pattern)
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
