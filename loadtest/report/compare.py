"""`loadtest compare A B`: two runs cell by cell. Each cell's change is the ratio of its medians
(B/A) with both intervals; where the intervals overlap it says "no significant change". Counts of
what moved come first, then the peaks, then every cell measured in both runs.

compute() makes every figure once; markdown(), terminal_text() and as_json() only format it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .. import analysis, stats
from ..level import Level
from ..results import levels as typed_levels
from ..stats import Estimate
from . import terminal
from .markdown import fmt_estimate, table

SCHEMA_VERSION = 1
SAME = "no significant change"
ONE_ROUND = "one round: not tested"
HIGHER, LOWER = "higher in B", "lower in B"


def verdict(a: Estimate, b: Estimate) -> str:
    if a.median is None or b.median is None:
        return "–"
    if a.n < 2 or b.n < 2:
        return ONE_ROUND
    if a.overlaps(b):
        return SAME
    return HIGHER if b.median > a.median else LOWER


def ratio_of(a: Estimate, b: Estimate) -> float | None:
    return None if not a.median or b.median is None else b.median / a.median


def estimate_json(e: Estimate) -> dict:
    """An Estimate as the schemas' estimate: median, interval, rounds, CV, method."""
    return e.as_dict()


@dataclass(frozen=True)
class Row:
    """One figure of one cell (or peak) in A and in B."""

    scenario: str
    service: str
    what: str  # the load of a cell ("50", "400 req/s"), or the figure of a cost row; "" for a peak
    a: Estimate
    b: Estimate
    mode: str | None = None  # a cell's: closed (load = users) or open (load = target req/s)
    load: int | None = None

    @property
    def ratio(self) -> float | None:
        return ratio_of(self.a, self.b)

    @property
    def change(self) -> str:
        return verdict(self.a, self.b)


COST_FIGURES = (("cpu_per_request_us", "service CPU µs/request"), ("others_per_request_us", "other host CPU µs/request"),
                ("peak_mib", "service peak MiB"))
FIGURE_NAMES = dict(COST_FIGURES)
SHORT_FIGURES = {"cpu_per_request_us": "CPU µs/req", "others_per_request_us": "other µs/req", "peak_mib": "peak MiB"}
COST_NOTE = ("Service CPU from its cgroup (or the Engine API); other host CPU = the machine's busy CPU "
             "minus the service's, the generator's and the databases' own, per successful request.")


def cpu_of(doc: dict) -> str:
    """The CPU's identity (machine.identity), or its model name in runs recorded before it."""
    cpu = doc["environment"].get("cpu") or {}
    return cpu.get("identity") or doc["environment"]["cpu_model"]


def _origin(doc: dict) -> dict:
    env = doc["environment"]
    return {"id": doc["run"]["id"], "commit": str(env["git_commit"]), "placement": env["placement"]["mode"],
            "cpu": cpu_of(doc), "tool": doc["run"]["options"].get("tool")}


def warnings(a: dict, b: dict) -> list[str]:
    out = []
    tool_a, tool_b = a["run"]["options"].get("tool"), b["run"]["options"].get("tool")
    if tool_a != tool_b:
        out.append(f"warning: closed loops by different tools ({tool_a} vs {tool_b})")
    if cpu_of(a) != cpu_of(b):
        out.append(f"warning: different CPUs ({cpu_of(a)} vs {cpu_of(b)}): the ratio between stacks "
                   "moves with the CPU, so these runs compare machines as much as code")
    return out


def cell_rows(a: list[Level], b: list[Level], figure: str = "ok_rps") -> list[Row]:
    """One row per cell measured in both runs."""
    def key(c: analysis.Cell) -> tuple:
        return (c.scenario, c.service, c.mode, c.load)

    ca, cb = {key(c): c for c in analysis.cells(a)}, {key(c): c for c in analysis.cells(b)}
    both = [c for k, c in ca.items() if k in cb]  # analysis.cells' stable order
    return [Row(c.scenario, c.service, f"{c.load}{'' if c.mode == 'closed' else ' req/s'}",
                c.estimate(figure), cb[key(c)].estimate(figure), c.mode, c.load) for c in both]


def peak_rows(a: list[Level], b: list[Level]) -> list[Row]:
    pa, pb = analysis.peaks(a), analysis.peaks(b)
    return [Row(scenario, service, "", pa[(scenario, service)].ok_rps, pb[(scenario, service)].ok_rps)
            for scenario, service in pa if (scenario, service) in pb]  # analysis.peaks' order


def cost_rows(a: list[Level], b: list[Level]) -> list[Row]:
    """At each run's peak: what a request cost the service, what it cost the host outside the
    benchmark's processes, and the service's memory, A beside B."""
    pa, pb = analysis.peaks(a), analysis.peaks(b)
    keys = [k for k in pa if k in pb and pa[k].cell and pb[k].cell]
    return [Row(*key, figure, pa[key].cell.estimate(figure), pb[key].cell.estimate(figure))
            for key in keys for figure, _ in COST_FIGURES]


@dataclass(frozen=True)
class Comparison:
    a: dict  # _origin(): id, commit, placement, cpu, tool
    b: dict
    warnings: list[str]
    peaks: list[Row]
    costs: list[Row]
    cells: list[Row]

    @property
    def counts(self) -> dict[str, int]:
        moved = Counter(r.change for r in self.cells)
        return {"cells": len(self.cells), "no_significant_change": moved[SAME], "higher_in_b": moved[HIGHER],
                "lower_in_b": moved[LOWER], "one_round": moved[ONE_ROUND]}

    @property
    def regressions(self) -> list[Row]:
        """Peaks whose successful req/s is significantly lower in B."""
        return [r for r in self.peaks if r.change == LOWER]


def compute(a: dict, b: dict) -> Comparison:
    la, lb = typed_levels(a), typed_levels(b)
    return Comparison(_origin(a), _origin(b), warnings(a, b), peak_rows(la, lb), cost_rows(la, lb),
                      cell_rows(la, lb))


def _ratio(r: Row) -> str:
    return "–" if r.ratio is None else f"{r.ratio:.2f}x"


def _counts_line(c: Comparison) -> str:
    n = c.counts
    return (f"{n['cells']} cells in both: {n['no_significant_change']} no significant change, "
            f"{n['higher_in_b']} higher in B, {n['lower_in_b']} lower in B, {n['one_round']} with a single "
            "round (successful req/s; significant = the two 95 % intervals do not overlap)")


def _origin_line(o: dict) -> str:
    return f"{o['id']} (commit {o['commit'][:10]}, {o['placement']}, {o['cpu']})"


def markdown(c: Comparison) -> str:
    notes = [_counts_line(c), f"{stats.METHOD_NOTE}.", f"A = {_origin_line(c.a)}", f"B = {_origin_line(c.b)}",
             *c.warnings]

    def rows(rs: list[Row], what: bool) -> list[list[str]]:
        return [[r.scenario, r.service, *([FIGURE_NAMES.get(r.what, r.what)] if what else []), fmt_estimate(r.a), fmt_estimate(r.b),
                 _ratio(r), r.change] for r in rs]
    return "\n".join([
        f"# Compare {c.a['id']} vs {c.b['id']}", "", *(f"- {n}" for n in notes), "",
        "## Peaks (successful req/s, median [95 % interval]; a generator-bound peak only where every cell was)", "",
        table(["scenario", "service", "A", "B", "B/A", "change"], rows(c.peaks, False)) if c.peaks
        else "_no peak in common_", "",
        "## What a request cost at each run's peak (median [95 % interval])", "",
        COST_NOTE, "",
        table(["scenario", "service", "figure", "A", "B", "B/A", "change"], rows(c.costs, True))
        if c.peaks else "_no peak in common_", "",
        "## Cells (successful req/s, median [95 % interval])", "",
        table(["scenario", "service", "load", "A", "B", "B/A", "change"], rows(c.cells, True))
        if c.cells else "_no cell in common_", ""])


SHORT_CHANGE = {SAME: "same", HIGHER: "higher", LOWER: "LOWER", ONE_ROUND: "1 round", "–": "–"}


def _blocks(title: str, rs: list[Row], what: str | None) -> list[str]:
    """A block per scenario: rows per service (and load or figure), A, B, B/A, change."""
    header = ["service", *([what] if what else []), "A", "B", "B/A", "change"]
    by_scenario: dict[str, list[list[str]]] = {}
    for r in rs:
        by_scenario.setdefault(r.scenario, []).append(
            [r.service, *([SHORT_FIGURES.get(r.what, r.what)] if what else []), fmt_estimate(r.a),
             fmt_estimate(r.b), _ratio(r), SHORT_CHANGE.get(r.change, r.change)])
    every = [row for rows in by_scenario.values() for row in rows]
    align = "l" + ("l" if what == "figure" else "r" if what else "") + "rrrl"
    out = [title]
    for scenario, rows in by_scenario.items():
        out += [scenario, terminal.text_table(header, rows, align, "  ", every)]
    return [*out, ""] if rs else [title, "none in common", ""]


def terminal_text(c: Comparison) -> str:
    lines = [f"compare {c.a['id']} (A) vs {c.b['id']} (B)", *(terminal.wrap(n) for n in [
        f"A = {_origin_line(c.a)}", f"B = {_origin_line(c.b)}", _counts_line(c), *c.warnings]), ""]
    lines += _blocks("== peaks: successful req/s, median [95 % interval]", c.peaks, None)
    lines += _blocks("== what a request cost at each run's peak", c.costs, "figure")
    lines += _blocks("== cells: successful req/s", c.cells, "load")
    lines += [terminal.wrap(f"change: same = the 95 % intervals overlap; LOWER = lower in B. {stats.METHOD_NOTE}.")]
    return "\n".join(lines) + "\n"


def as_json(c: Comparison) -> dict:
    """The document compare.schema.json describes."""
    def row(r: Row, what: str | None) -> dict:
        extra = {"figure": r.what} if what == "figure" else {"mode": r.mode, "load": r.load} if what else {}
        return {"scenario": r.scenario, "service": r.service, **extra,
                "a": estimate_json(r.a), "b": estimate_json(r.b), "ratio": r.ratio,
                "change": None if r.change == "–" else r.change}

    return {"schema_version": SCHEMA_VERSION, "kind": "compare", "method": stats.METHOD_NOTE,
            "a": c.a, "b": c.b, "warnings": c.warnings, "counts": c.counts,
            "peaks": [row(r, None) for r in c.peaks], "costs": [row(r, "figure") for r in c.costs],
            "cells": [row(r, "load") for r in c.cells]}


def render(a: dict, b: dict) -> str:
    """The Markdown."""
    return markdown(compute(a, b))
