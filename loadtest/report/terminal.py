"""What a sweep prints: its plan before it starts, and the peaks when it ends. Kept within 80
columns, so the rows can be told apart in any terminal."""

from __future__ import annotations

from rich.table import Table

from .. import analysis
from ..plan import SweepPlan, human
from ..results import levels as typed_levels
from ..runtime.isolation import Placement


def print_plan(plan: SweepPlan, placement: Placement, rf, console) -> None:
    console.print(f"[bold]{len(plan.services)} services x {len(plan.scenarios)} scenarios x "
                  f"{plan.steps_per_scenario()} levels x {plan.rounds} rounds[/] (order seed "
                  f"{plan.seed}), expected about [bold]{human(plan.expected_seconds())}[/] -> {rf.dir}")
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
        "successful req/s at the peak, median over rounds and its 95 % interval; µs of "
        "service CPU per request; errors over all levels; † generator-bound cells left out"))
    for col in ("scenario", "service", "req/s", "interval", "users", "µs/req", "p99 ms", "err", "bound"):
        t.add_column(col, justify="left" if col in ("scenario", "service", "bound") else "right",
                     no_wrap=True)
    for (scenario, service), p in analysis.peaks(levels).items():
        errors = sum(lv.errors.total for lv in analysis.closed(levels)
                     if lv.service == service and lv.scenario == scenario)
        if p.cell is None:
            t.add_row(scenario, service, "†", "", "", "", "", str(errors), "generator")
            continue
        rps, cpu, p99 = p.ok_rps, p.cell.estimate("cpu_per_request_us"), p.cell.estimate("p99_ms")
        spread = f"{rps.low:,.0f}–{rps.high:,.0f}" if rps.n > 1 and rps.low is not None else ""
        t.add_row(scenario, service, f"{rps.median:,.0f}", spread, str(p.cell.load),
                  "–" if cpu.median is None else f"{cpu.median:,.0f}",
                  "–" if p99.median is None else f"{p99.median:,.1f}", str(errors), p.cell.bound)
    return t


def print_summary(doc: dict, console) -> None:
    console.print(summary_table(doc))
    for name, s in doc["services"].items():
        if s["status"] != "measured":
            console.print(f"[red]{name}: {s['status']}[/] {s.get('error') or ''}")
