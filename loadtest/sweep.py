"""`loadtest sweep`: build, gate and measure every service, scenario by scenario, level by level.

For each service: the build, the contract gate (against what was just built), then per scenario
its hooks (scenarios/), a fresh start of the service (natively inside its cgroup, or a restart
of its compose container: runtime/), a warm-up, the closed-loop levels and, with --open-loop,
the constant-rate levels below the measured peak. Each level is one build_level() (level.py);
results.json is rewritten after every level, the reports after every scenario (report/)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from . import analysis, calibrate, generator, manifest, probes, report, results, runtime
from .errors import GeneratorError, InfraError
from .level import Level, RawLevel, build_level
from .plan import GATE_ESTIMATE_S, START_OVERHEAD_S, SweepPlan
from .progress import Progress
from .scenarios import SCENARIOS, LevelContext, Scenario
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
            _before_run(ctx)
            for name in plan.services:
                run_service(ctx, manifest.load(name))
        except BaseException as e:
            rf.finish("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            report.write_all(rf.dir, rf.doc)
            raise
    rf.finish("complete")
    report.write_all(rf.dir, rf.doc)
    return rf


def _before_run(ctx: Context) -> None:
    """Each scenario's once-per-sweep preparation (e.g. an empty devices table), recorded."""
    for name in ctx.plan.scenarios:
        fields = SCENARIOS[name].before_run(_level_context(ctx, "none"))
        ctx.rf.doc["run"].update(fields)
        for key, value in fields.items():
            ctx.console.print(f"{name}: {key} = {value:,}" if isinstance(value, int) else f"{name}: {key} = {value}")
    ctx.rf.save()


def _level_context(ctx: Context, mock_key: str) -> LevelContext:
    return LevelContext(mock_key=mock_key, firmware_prefix=ctx.firmware_prefix, workdir=ctx.rf.dir,
                        external_delay_ms=ctx.plan.external_delay_ms)


def run_service(ctx: Context, m: manifest.Manifest) -> None:
    plan, rf = ctx.plan, ctx.rf
    rf.set_service(m.name, status="pending", error=None, summary=m.summary, language=m.language,
                   workers=m.workers, version=results.service_version(m.name))
    try:
        with ctx.runtime.deployed(m):
            ctx.progress.step(f"{m.name}: build")
            ctx.runtime.build(m)
            if not _gate(ctx, m):
                return
            for name in plan.scenarios:
                run_scenario(ctx, m, SCENARIOS[name])
                report.write_all(rf.dir, rf.doc)
    except (InfraError, GeneratorError) as e:
        rf.set_service(m.name, status="failed", error=str(e)[-2000:])
        ctx.console.print(f"[red]{m.name}: {e}[/]")
        return
    if rf.doc["services"][m.name]["status"] == "pending":
        rf.set_service(m.name, status="measured")


def _gate(ctx: Context, m: manifest.Manifest) -> bool:
    """The contract suite against the build just made; a failure means reported, not measured."""
    plan, rf = ctx.plan, ctx.rf
    ctx.progress.step(f"{m.name}: contract gate")
    t0 = time.monotonic()
    g = ctx.runtime.gate(m, skip=plan.skip_gate)
    ctx.progress.advance(0 if plan.skip_gate else GATE_ESTIMATE_S)
    rf.set_service(m.name, gate=g)
    if g["status"] != "failed":
        return True
    rf.set_service(m.name, status="gate-failed", error="contract suite failed: not measured")
    ctx.console.print(f"[red]{m.name}: contract gate failed ({time.monotonic() - t0:.0f} s), "
                      f"not measured[/]\n{g['output_tail'][-800:]}")
    ctx.progress.advance(len(plan.scenarios) * (plan.scenario_seconds() + START_OVERHEAD_S))
    return False


def run_scenario(ctx: Context, m: manifest.Manifest, scenario: Scenario) -> None:
    plan = ctx.plan
    hooks = _level_context(ctx, ctx.runtime.mock_key(m))
    svc = None
    try:
        scenario.before_scenario(hooks)
        ctx.progress.step(f"{m.name} {scenario.name}: start")
        svc = ctx.runtime.start(m, hooks.mock_key)
        ctx.progress.advance(START_OVERHEAD_S)
        _warm_up(ctx, m, scenario, svc)
        closed = []
        for users in plan.levels:
            closed.append(measure(ctx, m, scenario, svc, hooks, users=users))
            if not closed[-1].service_alive:
                ctx.rf.set_service(m.name, status="failed",
                                   error=f"{scenario.name}: service died at {users} users; see {svc.log}")
                return
        if plan.open_loop:
            _open_loop(ctx, m, scenario, svc, hooks, closed)
    finally:
        if svc is not None:
            svc.stop()
        try:
            scenario.after_scenario(hooks)
        except Exception as e:  # noqa: BLE001 -- clean-up must not hide the measurement
            ctx.console.print(f"[yellow]{m.name} {scenario.name}: clean-up failed: {e}[/]")


def _warm_up(ctx: Context, m: manifest.Manifest, scenario: Scenario, svc: runtime.Handle) -> None:
    plan = ctx.plan
    if plan.warmup_s <= 0:
        return
    ctx.progress.step(f"{m.name} {scenario.name}: warm-up")
    duration = max(plan.warmup_s, plan.tool_spec().min_duration_s)
    generator.run(plan.tool, _load(ctx, scenario, plan.levels[0], duration), svc.base_url,
                  ctx.rf.dir / "raw" / f"{m.name}.{scenario.name}.warmup.{plan.tool}.json",
                  ctx.runtime.placement.generator_cpus, ctx.rf.dir)
    ctx.progress.advance(plan.warmup_s)


def _open_loop(ctx: Context, m: manifest.Manifest, scenario: Scenario, svc: runtime.Handle,
               hooks: LevelContext, closed: list[Level]) -> None:
    """Constant-rate levels at fractions of the closed-loop peak, capped below the open-loop
    tool's calibrated ceiling: the open loop must measure the service, not the tool."""
    best = analysis.peak(closed)
    peak = best.ok_rps if best else 0
    tool = open_loop_tool()
    ceiling = calibrate.ceiling(ctx.calibration, tool.name)
    for fraction in ctx.plan.open_loop_fractions:
        rate, note = fraction * peak, None
        if ceiling and rate > 0.9 * ceiling:
            rate, note = 0.9 * ceiling, (f"target capped at 90 % of {tool.name}'s calibrated ceiling "
                                         f"({ceiling:,.0f} req/s) instead of {fraction:.0%} of the "
                                         f"peak ({fraction * peak:,.0f})")
        if rate < 1:
            continue
        level = measure(ctx, m, scenario, svc, hooks, users=max(ctx.plan.levels), rate=rate, note=note)
        if not level.service_alive:
            ctx.rf.set_service(m.name, status="failed",
                               error=f"{scenario.name}: service died at {rate:.0f} req/s open loop")
            return


def _load(ctx: Context, scenario: Scenario, users: int, duration: float,
          rate: float | None = None) -> Load:
    plan = ctx.plan
    return Load(scenario, users, duration, rate=rate, keepalive=plan.keepalive, fib_n=plan.fib_n,
                firmware_prefix=ctx.firmware_prefix)


def measure(ctx: Context, m: manifest.Manifest, scenario: Scenario, svc: runtime.Handle,
            hooks: LevelContext, users: int, rate: float | None = None,
            note: str | None = None) -> Level:
    """One level: run the tool and collect what surrounds it, then build_level()."""
    plan, rf = ctx.plan, ctx.rf
    tool = open_loop_tool().name if rate else plan.tool
    what = f"{rate:.0f} req/s" if rate else f"{users} users"
    ctx.progress.step(f"{m.name} {scenario.name}: {what}")
    raw = rf.dir / "raw" / f"{m.name}.{scenario.name}.{'open' if rate else 'closed'}-{round(rate) if rate else users}.{tool}.json"
    state = scenario.before_level(hooks)
    svc.reset_memory_peak()
    started_at, loadavg = results.utc_now(), os.getloadavg()[0]
    cpu0, host, servers = svc.cpu(), probes.HostCpu(), ctx.runtime.server_cpu()
    sampler = svc.connections()
    sampler.start()
    t0 = time.monotonic()
    try:
        gen = generator.run(tool, _load(ctx, scenario, users, plan.duration_s, rate), svc.base_url, raw,
                            ctx.runtime.placement.generator_cpus, rf.dir)
    finally:
        connections = sampler.finish()
    elapsed = time.monotonic() - t0
    service_cpu = svc.cpu_figures(cpu0, svc.cpu(), elapsed)
    databases = servers.percent(elapsed)
    counts = {"status_codes": gen.result.status_codes, "aborted_at_deadline": gen.result.aborted_at_deadline}
    level = build_level(RawLevel(
        service=m.name, scenario=scenario.name, users=users, started_at=started_at,
        expected_status=scenario.expected_status, tool=gen.result, generator_cpu_of_core=gen.cpu_of_core,
        service_cpu=service_cpu, service_memory=svc.memory(), target_rps=rate,
        ceiling_rps=calibrate.ceiling(ctx.calibration, tool), host_loadavg_1m=loadavg,
        databases=databases, db_connections=connections,
        host_cpu=host.split(elapsed, service_cpu.get("usage_s"), gen.cpu_s, databases),
        extra=scenario.after_level(hooks, state, counts), notes=[note] if note else [],
        service_alive=svc.alive(), raw=str(raw.relative_to(rf.dir))))
    rf.add_level(level)
    ctx.progress.advance(plan.duration_s)
    time.sleep(plan.pause_s)
    ctx.progress.advance(plan.pause_s)
    return level
