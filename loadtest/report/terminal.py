"""What a sweep prints: its plan before it starts, and each service's figures when it ends; and the plain
tables `summary` and `compare` print by default. A table is plain text within WIDTH columns,
never cut: a row that does not fit with two spaces between columns gets one (and loses its
indent), and a figure is always printed whole. Rows and columns in the registries' order (analysis.py)."""

from __future__ import annotations

import textwrap

from .. import analysis
from ..core import stats
from ..measurement.plan import SweepPlan, human
from ..records.document import RunDocument
from ..runtime.isolation import Placement
from .plateaus import plateaus_and_errors

WIDTH = 100
GENERATOR_MARK = "†"


def print_plan(plan: SweepPlan, placement: Placement, rf, console) -> None:
    parts = []
    if plan.headline_visits():
        parts.append(f"headline: {len(plan.headline().comparisons)} comparisons in blocks at "
                     f"{plan.headline_users} users, {plan.headline_visits()} visits over {plan.headline_rounds} rounds")
    if plan.curve:
        parts.append(f"curve: {len(plan.services)} services x {len(plan.scenarios)} scenarios x "
                     f"{plan.steps_per_scenario()} levels x {plan.rounds} rounds")
    console.print(f"[bold]{'; '.join(parts)}[/] (order seed {plan.seed}), expected about "
                  f"[bold]{human(plan.expected_seconds())}[/] -> {rf.dir}")
    console.print(f"placement: {placement.mode}; service cpus {placement.service_cpus}, generator "
                  f"cpus {placement.generator_cpus}; {placement.databases_share}")
    for note in placement.notes:
        console.print(f"[yellow]note:[/] {note}")
    if rf.doc["calibration"] is None:
        console.print("[yellow]note:[/] no calibration (run `loadtest calibrate`): generator_bound "
                      "is judged from the generator's CPU alone")


def text_table(header: list[str], rows: list[list[str]], align: str = "", indent: str = "",
               width_of: list[list[str]] | None = None) -> str:
    """Columns padded to their widest cell (among `width_of` too: blocks of one table line up),
    aligned by `align`, one letter per column: l, or r for figures (the default after the first)."""
    align = align or "l" + "r" * (len(header) - 1)
    every = [header, *rows, *(width_of or [])]
    widths = [max(len(str(r[i])) for r in every) for i in range(len(header))]
    gap = "  " if len(indent) + sum(widths) + 2 * (len(widths) - 1) <= WIDTH else " "
    if len(indent) + sum(widths) + len(gap) * (len(widths) - 1) > WIDTH:
        indent = ""  # long names (variants): the columns keep their figures, the block its indent

    def line(cells: list[str]) -> str:
        return indent + gap.join(str(c).ljust(w) if a == "l" else str(c).rjust(w)
                                 for c, w, a in zip(cells, widths, align, strict=True)).rstrip()
    return "\n".join([line(header), *(line(r) for r in rows)])


def wrap(text: str, width: int = WIDTH) -> str:
    return textwrap.fill(text, width, break_on_hyphens=False, break_long_words=False)


FIGURE_HEADER = ["service", "req/s", "interval", "users", "best", "µs/req", "p99 ms", "err", "bound"]
FIGURE_ALIGN = "lrrrrrrrl"
FIGURE_NOTE = ("successful req/s over the plateau (users), geometric mean over rounds and its 95 % "
               f"interval ({stats.NO_INTERVAL}); best = the level of best throughput, a description "
               f"only; µs of service CPU per request and p99 over the same plateau; errors over all "
               f"levels; {GENERATOR_MARK} the load generator bounded every plateau level: a floor")


def figure_rows(doc: RunDocument) -> dict[str, list[list[str]]]:
    """{scenario: one row per service} of one run (plateaus.py computes, as for summary)."""
    return format_figures(*plateaus_and_errors(doc.measured()))


def format_figures(plateaus: dict, errors: dict[tuple[str, str], int]) -> dict[str, list[list[str]]]:
    """{scenario: one row per service}: the figure over the plateau (analysis.Plateau) and what
    surrounds it."""
    out: dict[str, list[list[str]]] = {}
    for (scenario, service), p in plateaus.items():
        err = f"{errors.get((scenario, service), 0):,}"
        if not p.cells:
            row = [service, "–", "", "", "", "", "", err, "–"]
        else:
            rps, cpu, p99 = p.ok_rps, p.estimate("cpu_per_request_us"), p.estimate("p99_ms")
            mark = f" {GENERATOR_MARK}" if p.floor else ""
            row = [service, f"{rps.value:,.0f}{mark}",
                   f"{rps.low:,.0f}–{rps.high:,.0f}" if rps.has_interval else "",
                   p.users, str(p.best.load) if len(p.cells) > 1 else "",
                   "–" if cpu.value is None else f"{cpu.value:,.0f}",
                   "–" if p99.value is None else f"{p99.value:,.1f}", err, p.bound]
        out.setdefault(scenario, []).append(row)
    return out


def figures_block(run_id: str, blocks: dict[str, list[list[str]]]) -> str:
    """The figures of one run, a block per scenario, the columns lined up across blocks."""
    lines = [f"figures — {run_id}"]
    every = [r for rows in blocks.values() for r in rows]
    for scenario, rows in blocks.items():
        lines += ["", scenario, text_table(FIGURE_HEADER, rows, FIGURE_ALIGN, "  ", every)]
    return "\n".join([*lines, "", wrap(FIGURE_NOTE)])


def figures_text(doc: RunDocument) -> str:
    return figures_block(doc.run.id, figure_rows(doc))


def print_summary(doc: RunDocument, console) -> None:
    console.out(figures_text(doc), highlight=False)  # out(): no wrapping, no markup, nothing cut
    for name in analysis.ordered_services(doc.services):
        s = doc.services[name]
        if s.status != "measured":
            console.print(f"[red]{name}: {s.status}[/] {s.error or ''}", soft_wrap=True)
