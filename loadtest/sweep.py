"""`loadtest sweep`: build and gate every service, start them all, then measure in rounds.

Each service is built and gated first (the contract suite runs against that build); the ones
that pass are started together, each in its own box (runtime/), and warmed up on every
scenario. Then every round visits every cell (scenario x users x service) once, in a seeded
random order (schedule.py): a service that is not being measured sits idle, and each level
records what the idle ones used. With --open-loop, constant-rate rounds follow at fractions of
each closed-loop peak. Each level is one build_level() (level.py); results.json is rewritten
after every level, the reports after every round (report/)."""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from . import analysis, calibrate, generator, manifest, report, results, runtime, schedule
from .errors import GeneratorError, InfraError
from .level import Level
from .measure import measure_level
from .plan import GATE_ESTIMATE_S, START_OVERHEAD_S, SweepPlan
from .progress import Progress
from .scenarios import SCENARIOS, LevelContext
from .tools import Load, open_loop_tool


@dataclass
class Context:
    plan: SweepPlan
    runtime: runtime.Runtime
    rf: results.ResultsFile
    calibration: dict | None
    firmware_prefix: str
    progress: Progress
    console: object  # rich Console
    handles: dict[str, runtime.Handle] = field(default_factory=dict)  # the running services
    mock_keys: dict[str, str] = field(default_factory=dict)  # each service's key on the mock


def run(plan: SweepPlan, label: str, out: Path | None, argv: list[str], console,
        rt: runtime.Runtime | None = None) -> results.ResultsFile:
    rt = rt or runtime.make(plan.runtime)  # compose without an engine fails here, before any output
    directory = results.run_dir(label, out)
    rf = results.ResultsFile.new(
        directory,
        run={"id": directory.name, "label": label, "command": argv, "options": plan.as_dict()},
        environment=results.environment(rt.placement.as_dict(), plan.tools()),
    )
    rf.doc["calibration"] = calibrate.load()
    rf.save()
    report.print_plan(plan, rt.placement, rf, console)
    with rt.servers(plan.services), Progress(console, plan.expected_seconds()) as progress:
        ctx = Context(plan, rt, rf, rf.doc["calibration"], f"wsb-{secrets.token_hex(4)}-", progress,
                      console)
        try:
            with ExitStack() as stack:
                _prepare_all(ctx, stack)  # the runtime's servers are up from here on
                _before_run(ctx)
                _warm_up_all(ctx)
                _measure_rounds(ctx)
        except BaseException as e:
            rf.finish("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            report.write_all(rf.dir, rf.doc)
            raise
    for name, s in rf.doc["services"].items():
        if s["status"] == "pending":
            rf.set_service(name, status="measured")
    rf.finish("complete")
    report.write_all(rf.dir, rf.doc)
    return rf


def _before_run(ctx: Context) -> None:
    """Each scenario's once-per-sweep preparation (e.g. an empty devices table), recorded."""
    for name in ctx.plan.scenarios:
        fields = SCENARIOS[name].before_run(_hooks(ctx, "none"))
        ctx.rf.doc["run"].update(fields)
        for key, value in fields.items():
            ctx.console.print(f"{name}: {key} = {value}")
    ctx.rf.save()


def _hooks(ctx: Context, mock_key: str) -> LevelContext:
    return LevelContext(mock_key=mock_key, firmware_prefix=ctx.firmware_prefix, workdir=ctx.rf.dir,
                        external_delay_ms=ctx.plan.external_delay_ms)


def _prepare_all(ctx: Context, stack: ExitStack) -> None:
    """Build and gate every service, then start the ones that passed. Everything entered here
    is undone when the stack closes: services stopped, scenario hooks cleaned up."""
    for name in ctx.plan.services:
        m = manifest.load(name)
        ctx.rf.set_service(name, status="pending", error=None, summary=m.summary, language=m.language,
                           workers=m.workers, version=results.service_version(name))
        try:
            stack.enter_context(ctx.runtime.deployed(m))
            ctx.progress.step(f"{name}: build")
            ctx.runtime.build(m)
            if _gate(ctx, m):
                _start(ctx, m, stack)
        except (InfraError, GeneratorError) as e:
            _fail(ctx, name, str(e))
        ctx.progress.advance(START_OVERHEAD_S)


def _warm_up_all(ctx: Context) -> None:
    for name in list(ctx.handles):
        for scenario in ctx.plan.scenarios:
            _warm_up(ctx, name, scenario)


def _gate(ctx: Context, m: manifest.Manifest) -> bool:
    """The contract suite against the build just made; a failure means reported, not measured."""
    ctx.progress.step(f"{m.name}: contract gate")
    t0 = time.monotonic()
    g = ctx.runtime.gate(m, skip=ctx.plan.skip_gate)
    ctx.progress.advance(0 if ctx.plan.skip_gate else GATE_ESTIMATE_S)
    ctx.rf.set_service(m.name, gate=g)
    if g["status"] != "failed":
        return True
    ctx.rf.set_service(m.name, status="gate-failed", error="contract suite failed: not measured")
    ctx.console.print(f"[red]{m.name}: contract gate failed ({time.monotonic() - t0:.0f} s), "
                      f"not measured[/]\n{g['output_tail'][-800:]}")
    return False


def _start(ctx: Context, m: manifest.Manifest, stack: ExitStack) -> None:
    key = ctx.mock_keys[m.name] = ctx.runtime.mock_key(m)
    for name in ctx.plan.scenarios:
        scenario, hooks = SCENARIOS[name], _hooks(ctx, key)
        stack.callback(_after_scenario, ctx, m.name, scenario, hooks)
        scenario.before_scenario(hooks)
    ctx.progress.step(f"{m.name}: start")
    handle = ctx.runtime.start(m, key)
    stack.callback(handle.stop)
    ctx.handles[m.name] = handle


def _after_scenario(ctx: Context, service: str, scenario, hooks: LevelContext) -> None:
    try:
        scenario.after_scenario(hooks)
    except Exception as e:  # noqa: BLE001 -- clean-up must not hide the measurement
        ctx.console.print(f"[yellow]{service} {scenario.name}: clean-up failed: {e}[/]")


def _fail(ctx: Context, service: str, error: str) -> None:
    """The service is reported failed and measured no further."""
    ctx.rf.set_service(service, status="failed", error=error[-2000:])
    ctx.console.print(f"[red]{service}: {error}[/]")
    ctx.handles.pop(service, None)


def _warm_up(ctx: Context, service: str, scenario_name: str) -> None:
    plan = ctx.plan
    if plan.warmup_s <= 0 or service not in ctx.handles:
        return
    ctx.progress.step(f"{service} {scenario_name}: warm-up")
    duration = max(plan.warmup_s, plan.tool_spec().min_duration_s)
    try:
        generator.run(plan.tool, _load(ctx, scenario_name, plan.levels[0], duration),
                      ctx.handles[service].base_url,
                      ctx.rf.dir / "raw" / f"{service}.{scenario_name}.warmup.{plan.tool}.json",
                      ctx.runtime.placement.generator_cpus, ctx.rf.dir)
    except GeneratorError as e:
        _fail(ctx, service, f"{scenario_name} warm-up: {e}")
    ctx.progress.advance(plan.warmup_s)


def _measure_rounds(ctx: Context) -> None:
    plan = ctx.plan
    closed = schedule.rounds(list(ctx.handles), plan.scenarios, plan.levels, plan.rounds, plan.seed)
    for visits in closed:
        _visit_all(ctx, visits)
    if plan.open_loop:
        for visits in schedule.open_rounds(_open_targets(ctx), max(plan.levels), plan.rounds, plan.seed):
            _visit_all(ctx, visits)


def _visit_all(ctx: Context, visits: list[schedule.Visit]) -> None:
    for visit in visits:
        if visit.service not in ctx.handles:  # failed earlier: its cells are skipped
            ctx.progress.advance(ctx.plan.level_seconds())
            continue
        try:
            level = measure(ctx, visit)
        except (InfraError, GeneratorError) as e:
            _fail(ctx, visit.service, f"{visit.scenario} at {visit.users} users: {e}")
            continue
        if not level.service_alive:
            _fail(ctx, visit.service, f"{visit.scenario}: service died at {visit.users} users; "
                                      f"see {ctx.handles[visit.service].log}")
    report.write_all(ctx.rf.dir, ctx.rf.doc)


def _open_targets(ctx: Context) -> dict[tuple[str, str], list[float]]:
    """Rates at fractions of each closed-loop peak (median over rounds), capped below the
    open-loop tool's calibrated ceiling: the open loop must measure the service, not the tool."""
    ceiling = calibrate.ceiling(ctx.calibration, open_loop_tool().name)
    targets = {}
    for (scenario, service), p in analysis.peaks(results.levels(ctx.rf.doc)).items():
        peak = p.ok_rps.median or 0
        rates = [min(f * peak, 0.9 * ceiling) if ceiling else f * peak for f in ctx.plan.open_loop_fractions]
        targets[(scenario, service)] = sorted({round(r) for r in rates if r >= 1})
    return targets


def _load(ctx: Context, scenario: str, users: int, duration: float, rate: float | None = None) -> Load:
    plan = ctx.plan
    return Load(SCENARIOS[scenario], users, duration, rate=rate, keepalive=plan.keepalive,
                fib_n=plan.fib_n, firmware_prefix=ctx.firmware_prefix)


def measure(ctx: Context, visit: schedule.Visit) -> Level:
    """One visit: its level measured (measure.py) and written to results.json."""
    plan, rf, svc = ctx.plan, ctx.rf, ctx.handles[visit.service]
    rate, users = visit.rate, visit.users
    tool = open_loop_tool().name if rate else plan.tool
    ctx.progress.step(f"round {visit.round}: {visit.service} {visit.scenario} "
                      f"{f'{rate:.0f} req/s' if rate else f'{users} users'}")
    raw = rf.dir / "raw" / (f"{visit.service}.{visit.scenario}.{'open' if rate else 'closed'}-"
                            f"{round(rate) if rate else users}.r{visit.round}.{tool}.json")
    idle = {name: h for name, h in ctx.handles.items() if name != visit.service}
    level = measure_level(ctx.runtime, svc, visit.service, tool,
                          _load(ctx, visit.scenario, users, plan.duration_s, rate), raw, rf.dir,
                          _hooks(ctx, ctx.mock_keys[visit.service]), visit.round,
                          calibrate.ceiling(ctx.calibration, tool), idle)
    rf.add_level(level)
    time.sleep(plan.pause_s)
    ctx.progress.advance(plan.level_seconds())
    return level
