"""What a sweep prints: its plan before it starts, and the peaks when it ends. Kept within 80
columns, so the rows can be told apart in any terminal."""

from __future__ import annotations

from rich.table import Table

from .. import analysis
from ..plan import SweepPlan, human
from ..results import levels as typed_levels
from ..runtime.isolation import Placement
from .markdown import MIB


def print_plan(plan: SweepPlan, placement: Placement, rf, console) -> None:
    console.print(f"[bold]{len(plan.services)} services x {len(plan.scenarios)} scenarios x "
                  f"{plan.steps_per_scenario()} levels[/], expected about "
                  f"[bold]{human(plan.expected_seconds())}[/] -> {rf.dir}")
    console.print(f"placement: {placement.mode}; service cpus {placement.service_cpus}, generator "
                  f"cpus {placement.generator_cpus}; {placement.databases_share}")
    for note in placement.notes:
        console.print(f"[yellow]note:[/] {note}")
    if rf.doc["calibration"] is None:
        console.print("[yellow]note:[/] no calibration (run `loadtest calibrate`): generator_bound "
                      "is judged from the generator's CPU alone")


def summary_table(doc: dict) -> Table:
    """One row per scenario and service: the peak (analysis.peak) and what surrounds it."""
    levels = typed_levels(doc)
    t = Table(title=f"peaks — {doc['run']['id']}", caption=(
        "ok req/s at the peak level (users), its p99; errors over all levels; max CPU % of the "
        "1-vCPU quota; peak MiB; † = generator-bound levels left out"))
    for col in ("scenario", "service", "req/s", "users", "p99 ms", "err", "CPU", "MiB", "†"):
        t.add_column(col, justify="left" if col in ("scenario", "service") else "right",
                     no_wrap=col in ("scenario", "service"))
    for (scenario, service), p in analysis.peaks(levels).items():
        group = [lv for lv in analysis.closed(levels) if lv.service == service and lv.scenario == scenario]
        lv = p.level
        t.add_row(scenario, service, "–" if lv is None else f"{lv.ok_rps or 0:,.0f}",
                  "–" if lv is None else str(lv.users),
                  "–" if lv is None or lv.latency_ms.p99 is None else f"{lv.latency_ms.p99:,.1f}",
                  str(sum(x.errors.total for x in group)),
                  f"{max((x.service_cpu.percent_of_quota or 0) for x in group):.0f}",
                  f"{max((x.service_memory.peak_bytes or 0) for x in group) / MIB:.0f}",
                  str(p.bound_levels) if p.bound_levels else "")
    return t


def print_summary(doc: dict, console) -> None:
    console.print(summary_table(doc))
    for name, s in doc["services"].items():
        if s["status"] != "measured":
            console.print(f"[red]{name}: {s['status']}[/] {s.get('error') or ''}")
