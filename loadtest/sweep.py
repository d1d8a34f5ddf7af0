"""`loadtest sweep`: build and gate every service, start them all, then measure in rounds.

Each service is built, gated (the contract suite runs against that build) and started by the
bench (bench.py), each in its own box (runtime/), and warmed up on every scenario. Then every round visits every cell (scenario x users x service) once, in a seeded
random order (schedule.py): a service that is not being measured sits idle, and each level
records what the idle ones used. With --open-loop, constant-rate rounds follow at fractions of
each closed-loop peak. Each level is one build_level() (level.py); results.json is rewritten
after every level, the reports after every round (report/)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from . import analysis, report, runtime
from .core.progress import Progress
from .measurement import calibrate, noise, schedule
from .measurement.bench import START_OVERHEAD_S, Bench
from .measurement.plan import SweepPlan
from .records import results
from .records.calibration import Calibration
from .records.level import STEAL_LIMIT_PERCENT, Level
from .scenarios import SCENARIOS
from .servers import manifest
from .tools import Load, open_loop_tool


@dataclass
class Context:
    plan: SweepPlan
    runtime: runtime.Runtime
    rf: results.ResultsFile
    calibration: Calibration | None
    bench: Bench
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
    calibration = calibrate.load()
    rf.doc["calibration"] = calibration.model_dump(mode="json", exclude_unset=True) if calibration else None
    rf.save()
    report.print_plan(plan, rt.placement, rf, console)
    with rt.servers(plan.services), Progress(console, plan.expected_seconds()) as progress:
        bench = Bench(rt, rf.dir, console, skip_gate=plan.skip_gate, params=plan.params,
                      record=rf.set_service, progress=progress)
        ctx = Context(plan, rt, rf, calibration, bench, progress, console)
        try:
            with bench:  # the runtime's servers are up from here on
                _prepare_all(ctx)
                _before_run(ctx)
                _warm_up_all(ctx)
                _measure_rounds(ctx)
        except BaseException as e:
            rf.finish("interrupted" if isinstance(e, KeyboardInterrupt) else "failed")
            report.write_all(rf.dir, rf.document())
            raise
    for name, s in rf.doc["services"].items():
        if s["status"] == "pending":
            rf.set_service(name, status="measured")
    rf.finish("complete")
    report.write_all(rf.dir, rf.document())
    return rf


def _before_run(ctx: Context) -> None:
    """Each scenario's once-per-sweep preparation (e.g. an empty devices table), recorded."""
    fields = ctx.bench.before_run(ctx.plan.scenarios)
    ctx.rf.doc["run"].update(fields)
    for key, value in fields.items():
        ctx.console.print(f"{key} = {value}")
    ctx.rf.save()


def _prepare_all(ctx: Context) -> None:
    """Build, gate and start every service (bench.py); the ones that fail are recorded so."""
    for name in ctx.plan.services:
        m = manifest.load(name)
        ctx.rf.set_service(name, status="pending", error=None, summary=m.summary, language=m.language,
                           workers=m.workers, version=results.service_version(name))
        ctx.bench.prepare(m, ctx.plan.scenarios)
        ctx.progress.advance(START_OVERHEAD_S)


def _warm_up_all(ctx: Context) -> None:
    plan = ctx.plan
    if plan.warmup_s <= 0:
        return
    for name in list(ctx.bench.handles):
        for scenario in plan.scenarios:
            ctx.bench.warm_up(name, plan.tool, _load(ctx, scenario, plan.levels[0], plan.warmup_s), scenario)
            ctx.progress.advance(plan.warmup_s)


def _measure_rounds(ctx: Context) -> None:
    """The headline part's blocks first (the figures to quote are safe if the run is cut short),
    then the curve's rounds, numbered after them."""
    plan = ctx.plan
    h = plan.headline()
    groups = h.groups() if plan.headline_rounds else {}
    if groups:
        _probe_noise(ctx)
    rounds_of = {scenario: h.rounds_of(scenario, plan.headline_rounds) for scenario in groups}
    for visits in schedule.blocked_rounds(groups, plan.headline_users, plan.headline_rounds, plan.seed,
                                          rounds_of) if groups else []:
        _visit_all(ctx, visits)
    if not plan.curve:
        return
    first = plan.headline_rounds + 1 if groups else 1
    closed = schedule.rounds(list(ctx.bench.handles), plan.scenarios, plan.levels, plan.rounds, plan.seed, first)
    for visits in closed:
        _visit_all(ctx, visits)
    if plan.open_loop:
        for visits in schedule.open_rounds(_open_targets(ctx), max(plan.levels), plan.rounds, plan.seed, first):
            _visit_all(ctx, visits)


def _probe_noise(ctx: Context) -> None:
    """The pre-flight probe (noise.py): two services of a headline comparison visited in turn,
    each one's spread pooled, recorded in the run and in calibration.json (where the next
    --dry-run reads it), and said with the precision it predicts and the target it sets."""
    probe, plan = ctx.plan.probe(), ctx.plan
    if probe is None or not set(probe.services) <= set(ctx.bench.handles):
        return
    duration = plan.duration_s
    # The probe's scenario may not be among the run's: its parameters at their defaults then.
    params = {**{p.name: p.default for p in SCENARIOS[probe.scenario].params}, **plan.params}
    load = Load(SCENARIOS[probe.scenario], plan.headline_users, duration, keepalive=plan.keepalive,
                params=params, firmware_prefix=ctx.bench.firmware_prefix)
    rps: dict[str, list[float]] = {name: [] for name in probe.services}
    for i in range(probe.levels):
        service = probe.services[i % len(probe.services)]
        ctx.progress.step(f"noise probe {i + 1}/{probe.levels}: {service} {probe.scenario}")
        raw = _free(ctx.rf.dir / "raw" / "probe" / f"{service}.{probe.scenario}.{i + 1}.{plan.tool}.json")
        raw.parent.mkdir(parents=True, exist_ok=True)
        level = ctx.bench.visit(service, plan.tool, load, raw)
        if level is not None and level.ok_rps:
            rps[service].append(level.ok_rps)
        time.sleep(plan.pause_s)
        ctx.progress.advance(duration + plan.pause_s)
    sd = noise.pooled_log_sd(rps)
    blocks = plan.headline_blocks()
    record = {"services": list(probe.services), "scenario": probe.scenario, "users": plan.headline_users,
              "duration_s": duration, "ok_rps": rps, "log_sd": sd, "quiet_sd": probe.quiet_sd,
              "measured_at": results.utc_now(), "cpu": ctx.rf.doc["environment"].get("cpu_model"),
              "target_half_width": noise.target(sd, probe.quiet_sd),
              "expected_half_width": noise.expected(sd, blocks) if sd else None}
    ctx.rf.doc["run"]["noise_probe"] = record
    ctx.rf.save()
    calibrate.save(calibrate.merge(calibrate.load(), {"noise": record}))
    ctx.console.print(noise.verdict(sd, probe.quiet_sd, blocks) if sd is not None
                      else "noise probe: too few visits measured to say")


def _visit_all(ctx: Context, visits: list[schedule.Visit]) -> None:
    """One round. A level that lost more than STEAL_LIMIT_PERCENT of the CPU to the hypervisor is
    measured once more at the end of its round (outside any block); the first stays in raw/ and
    in results.json, marked excluded, and the decision is listed in run.remeasured."""
    again = []
    for visit in visits:
        if visit.service in ctx.bench.handles:  # a service that failed earlier: its cells are skipped
            level = measure(ctx, visit)
            if level is not None and (level.steal_percent() or 0) > STEAL_LIMIT_PERCENT:
                again.append((visit, len(ctx.rf.doc["levels"]) - 1, level))
        else:
            ctx.progress.advance(ctx.plan.level_seconds())
    for visit, index, first in again:
        if visit.service not in ctx.bench.handles:
            continue
        reason = f"steal {first.steal_percent():.1f} % > {STEAL_LIMIT_PERCENT:g} %: measured again at the end of round {visit.round}"
        ctx.rf.doc["levels"][index]["excluded"] = reason
        second = measure(ctx, dataclasses.replace(visit, block=None))
        ctx.rf.doc["run"].setdefault("remeasured", []).append({
            "service": visit.service, "scenario": visit.scenario, "users": visit.users, "round": visit.round,
            "block": visit.block, "first_raw": first.raw, "steal_percent": first.steal_percent(),
            "again_raw": second.raw if second else None,
            "again_steal_percent": second.steal_percent() if second else None})
        ctx.rf.save()
    report.write_all(ctx.rf.dir, ctx.rf.document())


def _open_targets(ctx: Context) -> dict[tuple[str, str], list[float]]:
    """Rates at fractions of each closed-loop figure (its plateau, analysis.py), capped below the
    open-loop tool's calibrated ceiling: the open loop must measure the service, not the tool."""
    ceiling = calibrate.ceiling(ctx.calibration, open_loop_tool().name)
    targets = {}
    for (scenario, service), p in analysis.plateaus(ctx.rf.document().measured()).items():
        peak = p.ok_rps.value or 0
        rates = [min(f * peak, 0.9 * ceiling) if ceiling else f * peak for f in ctx.plan.open_loop_fractions]
        targets[(scenario, service)] = sorted({round(r) for r in rates if r >= 1})
    return targets


def _load(ctx: Context, scenario: str, users: int, duration: float, rate: float | None = None) -> Load:
    plan = ctx.plan
    return Load(SCENARIOS[scenario], users, duration, rate=rate, keepalive=plan.keepalive,
                params=plan.params, firmware_prefix=ctx.bench.firmware_prefix)


def _free(path: Path) -> Path:
    """path, or path with -2, -3... before its suffixes when a visit of the same cell (a block's
    second visit, a level measured again) already wrote it."""
    name, n = path.name.split(".", 1), 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{name[0]}-{n}.{name[1]}")
        n += 1
    return candidate


def measure(ctx: Context, visit: schedule.Visit) -> Level | None:
    """One visit: its level measured (bench.py) and written to results.json."""
    plan, rf = ctx.plan, ctx.rf
    rate, users = visit.rate, visit.users
    tool = open_loop_tool().name if rate else plan.tool
    ctx.progress.step(f"round {visit.round}: {visit.service} {visit.scenario} "
                      f"{f'{rate:.0f} req/s' if rate else f'{users} users'}")
    raw = _free(rf.dir / "raw" / (f"{visit.service}.{visit.scenario}.{'open' if rate else 'closed'}-"
                                  f"{round(rate) if rate else users}.r{visit.round}"
                                  f"{f'.b{visit.block}' if visit.block else ''}.{tool}.json"))
    level = ctx.bench.visit(visit.service, tool, _load(ctx, visit.scenario, users, plan.duration_s, rate),
                            raw, visit.round, calibrate.ceiling(ctx.calibration, tool), block=visit.block)
    if level is not None:
        rf.add_level(level)
    time.sleep(plan.pause_s)
    ctx.progress.advance(plan.level_seconds())
    return level
