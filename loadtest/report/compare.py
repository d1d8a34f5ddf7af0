"""`loadtest compare A B`: two runs as a test. For each service and scenario measured in both,
each tested figure (successful req/s and CPU per request over the plateau, analysis.change) has
its change B/A: the ratio of the two runs' estimates, with a two-sample Welch interval on the
per-round logarithms and a p-value; significance is after Holm's correction across every
comparison made (significance.py, the rule `summary` uses). Then, as descriptions without a
test: other host CPU and memory over the plateau, and every cell measured in both (B/A with its
own interval).

compute() makes every figure once; markdown(), terminal_text() and as_json() only format it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .. import analysis
from ..core import stats
from ..core.stats import Estimate
from ..records.document import RunDocument
from ..records.level import Level
from . import significance, terminal
from .markdown import fmt, fmt_estimate, fmt_ratio, table

SCHEMA_VERSION = 2
SAME = "no significant change"
HIGHER, LOWER = "higher in B", "lower in B"
TESTED_FIGURES = (("ok_rps", "successful req/s"), ("cpu_per_request_us", "service CPU µs/request"))
WORSE_WHEN_LOWER = {"ok_rps"}  # for the others (costs), higher in B is worse
DESCRIBED_FIGURES = (("others_per_request_us", "other host CPU µs/request"), ("peak_mib", "service peak MiB"))
FIGURE_NAMES = dict(TESTED_FIGURES + DESCRIBED_FIGURES)
SHORT_FIGURES = {"ok_rps": "req/s", "cpu_per_request_us": "CPU µs/req", "others_per_request_us": "other µs/req",
                 "peak_mib": "peak MiB"}
COST_NOTE = ("Other host CPU = the machine's busy CPU minus the service's, the generator's and the "
             "databases' own, per successful request; service peak memory. Over the plateau, not tested.")


def estimate_json(e: Estimate) -> dict:
    """An Estimate as the schemas' estimate: value, interval, rounds, CV, method, p-value."""
    return e.as_dict()


@dataclass(frozen=True)
class Row:
    """One figure of one service (over its plateau) or of one cell, in A and in B."""

    scenario: str
    service: str
    figure: str  # an analysis.FIGURES key
    a: Estimate
    b: Estimate
    change: Estimate  # B / A (stats.change); its p-value where tested
    p_holm: float | None = None  # Holm-adjusted, for the tested figures
    mode: str | None = None  # a cell's: closed (load = users) or open (load = target req/s)
    load: int | None = None

    @property
    def tested(self) -> bool:
        return self.figure in dict(TESTED_FIGURES) and self.mode is None

    @property
    def verdict(self) -> str | None:
        """For a tested figure: higher / lower in B, no significant change, or not tested."""
        if not self.tested:
            return None
        found = significance.words(self.change, self.p_holm)
        if found == significance.SIGNIFICANT:
            return HIGHER if self.change.value > 1 else LOWER
        return SAME if found == significance.NOT_SIGNIFICANT else None if found == "–" else found

    def worse_by(self) -> float | None:
        """How much worse B is, as a fraction (0.1 = 10 % worse); negative when better."""
        r = self.change.value
        if r is None:
            return None
        return 1 - r if self.figure in WORSE_WHEN_LOWER else r - 1

    @property
    def load_words(self) -> str:
        return "" if self.load is None else f"{self.load}{'' if self.mode == 'closed' else ' req/s'}"


def _origin(doc: RunDocument) -> dict:
    env = doc.environment
    return {"id": doc.run.id, "commit": str(env.git_commit), "placement": env.placement.mode,
            "cpu": env.cpu_identity, "tool": doc.run.options.tool, "rounds": doc.rounds}


def warnings(a: RunDocument, b: RunDocument) -> list[str]:
    out = []
    tool_a, tool_b = a.run.options.tool, b.run.options.tool
    if tool_a != tool_b:
        out.append(f"warning: closed loops by different tools ({tool_a} vs {tool_b})")
    cpu_a, cpu_b = a.environment.cpu_identity, b.environment.cpu_identity
    if cpu_a != cpu_b:
        out.append(f"warning: different CPUs ({cpu_a} vs {cpu_b}): the ratio between stacks "
                   "moves with the CPU, so these runs compare machines as much as code")
    return out


def figure_rows(a: list[Level], b: list[Level], figures: tuple = TESTED_FIGURES) -> list[Row]:
    """One row per figure of each (scenario, service) measured in both (analysis.change)."""
    pa, pb = analysis.plateaus(a), analysis.plateaus(b)
    keys = [k for k in pa if k in pb and pa[k].cells and pb[k].cells]  # analysis.plateaus' order
    return [Row(*key, figure, *analysis.change(pa[key], pb[key], figure)) for key in keys for figure, _ in figures]


def tested_rows(a: list[Level], b: list[Level]) -> list[Row]:
    """The tested figures with their Holm-adjusted p-values (significance.adjust)."""
    rows = figure_rows(a, b)
    adjusted = significance.adjust([r.change for r in rows])
    return [Row(r.scenario, r.service, r.figure, r.a, r.b, r.change, p) for r, p in zip(rows, adjusted, strict=True)]


def cell_rows(a: list[Level], b: list[Level], figure: str = "ok_rps") -> list[Row]:
    """One row per cell measured in both."""
    def key(c: analysis.Cell) -> tuple:
        return (c.scenario, c.service, c.mode, c.load)

    ca, cb = {key(c): c for c in analysis.cells(a)}, {key(c): c for c in analysis.cells(b)}
    both = [c for k, c in ca.items() if k in cb]  # analysis.cells' stable order
    return [Row(c.scenario, c.service, figure, c.estimate(figure), cb[key(c)].estimate(figure),
                analysis.cell_change(c, cb[key(c)], figure), mode=c.mode, load=c.load) for c in both]


@dataclass(frozen=True)
class Comparison:
    a: dict  # _origin(): id, commit, placement, cpu, tool, rounds
    b: dict
    warnings: list[str]
    figures: list[Row]  # tested, Holm-adjusted
    costs: list[Row]  # described
    cells: list[Row]  # described

    @property
    def counts(self) -> dict[str, int]:
        moved = Counter(r.verdict for r in self.figures)
        return {"comparisons": len(self.figures), "no_significant_change": moved[SAME],
                "higher_in_b": moved[HIGHER], "lower_in_b": moved[LOWER],
                "not_tested": len(self.figures) - moved[SAME] - moved[HIGHER] - moved[LOWER]}

    def regressions(self, above_percent: float = 0.0) -> list[Row]:
        """Tested figures significantly worse in B (after Holm) by more than `above_percent`
        (successful req/s lower, CPU per request higher)."""
        return [r for r in self.figures if r.verdict in (HIGHER, LOWER)
                and (r.worse_by() or 0) > above_percent / 100]


def compute(a: RunDocument, b: RunDocument) -> Comparison:
    la, lb = a.measured(), b.measured()
    return Comparison(_origin(a), _origin(b), warnings(a, b), tested_rows(la, lb), figure_rows(la, lb, DESCRIBED_FIGURES),
                      cell_rows(la, lb))


def _change(r: Row) -> str:
    return fmt_ratio(r.change) if r.change.value is not None else "–"


def _counts_line(c: Comparison) -> str:
    n = c.counts
    return (f"{n['comparisons']} comparisons (successful req/s and CPU per request of each service "
            f"and scenario over its plateau): {n['no_significant_change']} no significant change, "
            f"{n['higher_in_b']} higher in B, {n['lower_in_b']} lower in B, {n['not_tested']} not tested "
            f"({stats.NO_INTERVAL} in a run)")


def _rule_line(c: Comparison) -> str:
    return (f"B/A = the ratio of the two runs' estimates, 95 % interval from a two-sample Welch t on "
            f"the rounds' logarithms. {significance.note(c.counts['comparisons'])}.")


def _origin_line(o: dict) -> str:
    return f"{o['id']} (commit {o['commit'][:10]}, {o['placement']}, {o['cpu']}, {o['rounds']} round(s))"


def _notes(c: Comparison) -> list[str]:
    return [_counts_line(c), _rule_line(c), f"{stats.METHOD_NOTE}. {analysis.PLATEAU_NOTE}.",
            f"A = {_origin_line(c.a)}", f"B = {_origin_line(c.b)}", *c.warnings]


def markdown(c: Comparison) -> str:
    def rows(rs: list[Row], what: str) -> list[list[str]]:
        return [[r.scenario, r.service, FIGURE_NAMES[r.figure] if what == "figure" else r.load_words,
                 fmt_estimate(r.a), fmt_estimate(r.b), _change(r),
                 *([r.verdict or "–"] if what == "figure" and r.tested else [])] for r in rs]
    return "\n".join([
        f"# Compare {c.a['id']} vs {c.b['id']}", "", *(f"- {n}" for n in _notes(c)), "",
        "## Figures over the plateau (tested)", "",
        table(["scenario", "service", "figure", "A", "B", "B/A", "change"], rows(c.figures, "figure"))
        if c.figures else "_no service measured in both_", "",
        "## Other costs over the plateau (not tested)", "", COST_NOTE, "",
        table(["scenario", "service", "figure", "A", "B", "B/A"], rows(c.costs, "figure"))
        if c.costs else "_no service measured in both_", "",
        "## Cells (successful req/s per load; not tested)", "",
        table(["scenario", "service", "load", "A", "B", "B/A"], rows(c.cells, "load"))
        if c.cells else "_no cell in common_", ""])


SHORT_CHANGE = {SAME: "same", HIGHER: "higher", LOWER: "LOWER", stats.NO_INTERVAL: "untested"}


def _blocks(title: str, rs: list[Row], what: str) -> list[str]:
    """A block per scenario: rows per service (and figure or load), A, B, B/A[, change]. Within
    100 columns: A and B as their estimates alone, B/A with its interval where it is tested."""
    tested = any(r.tested for r in rs)
    header = ["service", what, "A", "B", "B/A", *(["change"] if tested else [])]
    by_scenario: dict[str, list[list[str]]] = {}
    for r in rs:
        digits = 0 if r.figure != "others_per_request_us" else 1
        by_scenario.setdefault(r.scenario, []).append(
            [r.service, SHORT_FIGURES[r.figure] if what == "figure" else r.load_words, fmt(r.a.value, digits),
             fmt(r.b.value, digits), _change(r) if r.tested else fmt(r.change.value, 2, "x"),
             *([SHORT_CHANGE.get(r.verdict, "–")] if tested else [])])
    every = [row for rows in by_scenario.values() for row in rows]
    align = "l" + ("l" if what == "figure" else "r") + "rrr" + ("l" if tested else "")
    out = [title]
    for scenario, rows in by_scenario.items():
        out += [scenario, terminal.text_table(header, rows, align, "  ", every)]
    return [*out, ""] if rs else [title, "none in common", ""]


def terminal_text(c: Comparison) -> str:
    lines = [f"compare {c.a['id']} (A) vs {c.b['id']} (B)", *(terminal.wrap(n) for n in _notes(c)), ""]
    lines += _blocks("== figures over the plateau (tested)", c.figures, "figure")
    lines += _blocks("== other costs over the plateau (not tested)", c.costs, "figure")
    lines += _blocks("== cells: successful req/s per load (not tested)", c.cells, "load")
    lines += [terminal.wrap("change: same = no significant change; LOWER = lower in B; untested = "
                            f"{stats.NO_INTERVAL} in a run.")]
    return "\n".join(lines) + "\n"


def as_json(c: Comparison) -> dict:
    """The document compare.schema.json describes."""
    def row(r: Row) -> dict:
        where = {"mode": r.mode, "load": r.load} if r.mode else {"figure": r.figure}
        tested = {"p_holm": r.p_holm, "change": r.verdict} if r.tested else {}
        return {"scenario": r.scenario, "service": r.service, **where,
                "a": estimate_json(r.a), "b": estimate_json(r.b), "ratio": estimate_json(r.change), **tested}

    return {"schema_version": SCHEMA_VERSION, "kind": "compare", "method": stats.METHOD_NOTE,
            "plateau": analysis.PLATEAU_NOTE, "plateau_from_users": analysis.PLATEAU_FROM_USERS,
            "test": stats.WELCH_LOG, "correction": stats.HOLM,
            "a": c.a, "b": c.b, "warnings": c.warnings, "counts": c.counts,
            "figures": [row(r) for r in c.figures], "costs": [row(r) for r in c.costs],
            "cells": [row(r) for r in c.cells]}


def render(a: RunDocument, b: RunDocument) -> str:
    """The Markdown."""
    return markdown(compute(a, b))
