"""`loadtest sweep`: gate, start, load and measure every service, level by level.

For each service: the contract gate, the build, then per scenario a fresh start (natively
inside the service's cgroup, or a restart of its compose container: runtime.py), a warm-up,
the closed-loop levels (and with --open-loop the constant-rate levels below the measured peak).
results.json is rewritten after every level."""

from __future__ import annotations

import os
import secrets
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from . import generator, manifest, probes, report, results, runtime
from .config import endpoints
from .generator import GeneratorError, Load
from .plan import GATE_ESTIMATE_S, START_OVERHEAD_S, SweepPlan, human
from .procs import InfraError
from .runtime import service_cpu  # noqa: F401 -- re-exported: tests build levels with it
from .scenarios import SCENARIOS, Scenario


@dataclass
class Context:
    plan: SweepPlan
    runtime: runtime.Runtime
    rf: results.ResultsFile
    calibration: dict | None
    firmware_prefix: str
    progress: object  # rich Progress or a stand-in


def run(plan: SweepPlan, label: str, out: Path | None, argv: list[str], console) -> results.ResultsFile:
    rt = runtime.make(plan.runtime)  # compose without an engine fails here, before any output
    placement = rt.placement
    directory = results.run_dir(label, out)
    tools = sorted({plan.tool, "k6"} if plan.open_loop else {plan.tool})
    rf = results.ResultsFile.new(
        directory,
        run={"id": directory.name, "label": label, "command": argv, "options": plan.as_dict()},
        environment=results.environment(placement.as_dict(), tools),
    )
    rf.doc["calibration"] = load_calibration()
    rf.save()
    console.print(f"[bold]{len(plan.services)} services x {len(plan.scenarios)} scenarios x "
                  f"{plan.steps_per_scenario()} levels[/], expected about "
                  f"[bold]{human(plan.expected_seconds())}[/] -> {directory}")
    console.print(f"placement: {placement.mode}; service cpus {placement.service_cpus}, generator "
                  f"cpus {placement.generator_cpus}; {placement.databases_share}")
    for note in placement.notes:
        console.print(f"[yellow]note:[/] {note}")
    if rf.doc["calibration"] is None:
        console.print("[yellow]note:[/] no calibration (run `loadtest calibrate`): generator_bound "
                      "is judged from the generator's CPU alone")
    ctx = Context(plan, rt, rf, rf.doc["calibration"], f"wsb-{secrets.token_hex(4)}-", None)
    with rt.servers(plan.services):
        if "devices-post" in plan.scenarios:
            rf.doc["run"]["devices_rows_reset"] = probes.reset_devices()
            rf.save()
            console.print(f"devices table emptied and vacuumed ({rf.doc['run']['devices_rows_reset']:,} "
                          "rows from earlier runs)")
        try:
            with _progress(console, plan) as progress:
                ctx.progress = progress
                for name in plan.services:
                    run_service(ctx, manifest.load(name), console)
        except KeyboardInterrupt:
            rf.finish("interrupted")
            report.write_all(rf.dir, rf.doc)
            raise
        except BaseException:
            rf.finish("failed")
            report.write_all(rf.dir, rf.doc)
            raise
    rf.finish("complete")
    report.write_all(rf.dir, rf.doc)
    return rf


@contextmanager
def _progress(console, plan: SweepPlan):
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        progress.add_task("sweep", total=plan.expected_seconds())
        yield progress


def _advance(ctx: Context, seconds: float, description: str | None = None) -> None:
    task = ctx.progress.tasks[0].id
    ctx.progress.update(task, advance=seconds, **({"description": description} if description else {}))


def run_service(ctx: Context, m: manifest.Manifest, console) -> None:
    plan, rf = ctx.plan, ctx.rf
    rf.set_service(m.name, status="pending", error=None, summary=m.summary, language=m.language,
                   workers=m.workers, version=results.service_version(m.name))
    try:
        with ctx.runtime.deployed(m):
            _advance(ctx, 0, f"{m.name}: contract gate")
            t0 = time.monotonic()
            g = ctx.runtime.gate(m, skip=plan.skip_gate)
            _advance(ctx, 0 if plan.skip_gate else GATE_ESTIMATE_S)
            rf.set_service(m.name, gate=g)
            if g["status"] == "failed":
                rf.set_service(m.name, status="gate-failed", error="contract suite failed: not measured")
                console.print(f"[red]{m.name}: contract gate failed ({time.monotonic() - t0:.0f} s), "
                              f"not measured[/]\n{g['output_tail'][-800:]}")
                _advance(ctx, len(plan.scenarios) * (plan.scenario_seconds() + START_OVERHEAD_S))
                return
            _advance(ctx, 0, f"{m.name}: build")
            ctx.runtime.build(m)
            for name in plan.scenarios:
                run_scenario(ctx, m, SCENARIOS[name], console)
                report.write_all(rf.dir, rf.doc)
    except (InfraError, GeneratorError) as e:
        rf.set_service(m.name, status="failed", error=str(e)[-2000:])
        console.print(f"[red]{m.name}: {e}[/]")
        return
    if rf.doc["services"][m.name]["status"] == "pending":
        rf.set_service(m.name, status="measured")


def run_scenario(ctx: Context, m: manifest.Manifest, scenario: Scenario, console) -> None:
    plan, rf = ctx.plan, ctx.rf
    mock_key = ctx.runtime.mock_key(m)
    svc = None
    try:
        set_mock(mock_key, plan.external_delay_ms)
        _advance(ctx, 0, f"{m.name} {scenario.name}: start")
        svc = ctx.runtime.start(m, mock_key)
        _advance(ctx, START_OVERHEAD_S)
        if plan.warmup_s > 0:
            _advance(ctx, 0, f"{m.name} {scenario.name}: warm-up")
            warmup = max(plan.warmup_s, 1.0) if plan.tool == "k6" else plan.warmup_s  # k6: >= 1 s
            load = _load(plan, ctx, scenario, plan.levels[0], warmup)
            generator.run(plan.tool, load, svc.base_url,
                          rf.dir / "raw" / f"{m.name}.{scenario.name}.warmup.{plan.tool}.json",
                          ctx.runtime.placement, rf.dir)
            _advance(ctx, plan.warmup_s)
        closed = []
        for users in plan.levels:
            level = measure(ctx, m, scenario, svc, users=users)
            closed.append(level)
            if not level["service_alive"]:
                rf.set_service(m.name, status="failed",
                               error=f"{scenario.name}: service died at {users} users; see {svc.log}")
                return
        if plan.open_loop:
            peak = max((lv["ok_rps"] or 0 for lv in closed), default=0)
            k6_ceiling = tool_ceiling(ctx.calibration, "k6")
            for fraction in plan.open_loop_fractions:
                rate = fraction * peak
                note = None
                if k6_ceiling and rate > 0.9 * k6_ceiling:  # k6 could not send it: don't pretend
                    rate, note = 0.9 * k6_ceiling, (f"target capped at 90 % of k6's calibrated ceiling "
                                                    f"({k6_ceiling:,.0f} req/s) instead of "
                                                    f"{fraction:.0%} of the peak ({fraction * peak:,.0f})")
                if rate < 1:
                    continue
                level = measure(ctx, m, scenario, svc, users=max(plan.levels), rate=rate, note=note)
                if not level["service_alive"]:
                    rf.set_service(m.name, status="failed",
                                   error=f"{scenario.name}: service died at {rate:.0f} req/s open loop")
                    return
    finally:
        if svc is not None:
            svc.stop()
        clear_mock(mock_key)
        if scenario.name == "devices-post":
            try:
                probes.delete_bench_devices(ctx.firmware_prefix)
            except Exception as e:  # noqa: BLE001 -- cleanup must not hide the measurement
                console.print(f"[yellow]could not delete benchmark rows: {e}[/]")


def _load(plan: SweepPlan, ctx: Context, scenario: Scenario, users: int, duration: float,
          rate: float | None = None) -> Load:
    return Load(scenario, users, duration, rate=rate, keepalive=plan.keepalive, fib_n=plan.fib_n,
                firmware_prefix=ctx.firmware_prefix)


def measure(ctx: Context, m: manifest.Manifest, scenario: Scenario, svc: runtime.Handle,
            users: int, rate: float | None = None, note: str | None = None) -> dict:
    """One level: the tool's record plus CPU, memory, connections and (devices-post) data checks."""
    plan, rf = ctx.plan, ctx.rf
    tool = "k6" if rate else plan.tool  # open loop needs k6's constant-arrival-rate executor
    mode = "open" if rate else "closed"
    what = f"{rate:.0f} req/s" if rate else f"{users} users"
    _advance(ctx, 0, f"{m.name} {scenario.name}: {what}")
    name = f"{m.name}.{scenario.name}.{mode}-{round(rate) if rate else users}.{tool}.json"
    raw = rf.dir / "raw" / name
    before_id = probes.devices_max_id() if scenario.name == "devices-post" else None
    svc.reset_memory_peak()
    started_at = results.utc_now()
    loadavg = os.getloadavg()[0]
    cpu0 = svc.cpu()
    host = probes.HostCpu()
    servers = ctx.runtime.server_cpu()
    sampler = svc.connections()
    sampler.start()
    t0 = time.monotonic()
    try:
        gen = generator.run(tool, _load(plan, ctx, scenario, users, plan.duration_s, rate),
                            svc.base_url, raw, ctx.runtime.placement, rf.dir)
    finally:
        connections = sampler.finish()
    elapsed = time.monotonic() - t0
    cpu1 = svc.cpu()
    level = {"service": m.name, "scenario": scenario.name, "mode": mode, "users": users,
             "target_rps": rate, "started_at": started_at, "host_loadavg_1m": loadavg,
             **generator_summary(gen, scenario.expected_status)}
    level["achieved_ratio"] = results.finite(level["rps"] / rate) if rate else None
    if note:
        level["tool_notes"].append(note)
    level["service_cpu"] = svc.cpu_figures(cpu0, cpu1, elapsed)
    level["service_memory"] = svc.memory()
    ceiling = tool_ceiling(ctx.calibration, tool)
    level["generator"] = {
        "cpu_percent_of_core": 100.0 * gen.cpu_of_core,
        "bound": generator.generator_bound(gen.cpu_of_core,
                                           _fraction(level["service_cpu"]["percent_of_quota"]),
                                           level["rps"] or 0, ceiling),
        "ceiling_rps": ceiling,
    }
    level["databases"] = servers.percent(elapsed)
    level["host_cpu"] = host.split(elapsed, level["service_cpu"]["usage_s"], gen.cpu_of_core * elapsed,
                                   level["databases"])
    level["db_connections"] = connections
    level["devices_post"] = (probes.verify_devices(before_id, ctx.firmware_prefix,
                                                   level["status_codes"].get("201", 0),
                                                   level["aborted_at_deadline"])
                             if before_id is not None else None)
    level["service_alive"] = svc.alive()
    level["raw"] = str(raw.relative_to(rf.dir))
    rf.add_level(level)
    _advance(ctx, plan.duration_s)
    if plan.pause_s > 0:
        time.sleep(plan.pause_s)
    _advance(ctx, plan.pause_s)
    return level


def generator_summary(gen: generator.GeneratorRun, expected_status: int) -> dict:
    from .tools import summarize

    s = summarize(gen.result, expected_status)
    for key in ("rps", "ok_rps", "error_rate", "availability"):
        s[key] = results.finite(s[key])
    return s


def _fraction(percent: float | None) -> float | None:
    return None if percent is None else percent / 100.0


# --- the external mock's per-key behaviour -------------------------------------------------

def set_mock(key: str, delay_ms: int) -> None:
    url = f"{endpoints().external_base}/control/{key}"
    try:
        r = httpx.put(url, json={"delay_ms": delay_ms, "status": 200, "body": "json"}, timeout=5)
        r.raise_for_status()
    except httpx.HTTPError as e:
        raise InfraError(f"external mock: PUT {url} failed: {e}") from e


def clear_mock(key: str) -> None:
    try:
        httpx.delete(f"{endpoints().external_base}/control/{key}", timeout=5)
    except httpx.HTTPError:
        pass


def tool_ceiling(calibration: dict | None, tool: str) -> float | None:
    """A tool's ceiling, only when calibration showed the tool itself saturated: a run where
    neither side was saturated (a busy machine) or the trivial server was, is no ceiling."""
    c = ((calibration or {}).get("tools") or {}).get(tool) or {}
    return c.get("rps") if c.get("limited_by") == "generator" else None


def load_calibration() -> dict | None:
    from .calibrate import CALIBRATION_FILE

    try:
        return results.load(CALIBRATION_FILE) if CALIBRATION_FILE.exists() else None
    except (OSError, ValueError):
        print(f"loadtest: ignoring unreadable {CALIBRATION_FILE}", file=sys.stderr)
        return None
