"""`loadtest compare A B`: two runs cell by cell. Each cell's change is the ratio of its medians
(B/A) with both intervals; where the intervals overlap it says "no significant change". Counts of
what moved come first, then the peaks, then every cell measured in both runs."""

from __future__ import annotations

from collections import Counter

from .. import analysis, stats
from ..level import Level
from ..results import levels as typed_levels
from ..stats import Estimate
from .markdown import fmt_estimate, table

SAME = "no significant change"
ONE_ROUND = "one round: not tested"


def verdict(a: Estimate, b: Estimate) -> str:
    if a.median is None or b.median is None:
        return "–"
    if a.n < 2 or b.n < 2:
        return ONE_ROUND
    if a.overlaps(b):
        return SAME
    return "higher in B" if b.median > a.median else "lower in B"


def _ratio(a: Estimate, b: Estimate) -> str:
    return "–" if not a.median or b.median is None else f"{b.median / a.median:.2f}x"


def cell_rows(a: list[Level], b: list[Level], figure: str = "ok_rps") -> list[list[str]]:
    """One row per cell measured in both runs."""
    def key(c: analysis.Cell) -> tuple:
        return (c.scenario, c.service, c.mode, c.load)

    ca, cb = {key(c): c for c in analysis.cells(a)}, {key(c): c for c in analysis.cells(b)}
    rows = []
    for k in [k for k in ca if k in cb]:
        x, y = ca[k].estimate(figure), cb[k].estimate(figure)
        scenario, service, mode, load = k
        rows.append([scenario, service, f"{load}{'' if mode == 'closed' else ' req/s'}",
                     fmt_estimate(x), fmt_estimate(y), _ratio(x, y), verdict(x, y)])
    return rows


def peak_rows(a: list[Level], b: list[Level]) -> list[list[str]]:
    pa, pb = analysis.peaks(a), analysis.peaks(b)
    return [[scenario, service, fmt_estimate(pa[k].ok_rps), fmt_estimate(pb[k].ok_rps),
             _ratio(pa[k].ok_rps, pb[k].ok_rps), verdict(pa[k].ok_rps, pb[k].ok_rps)]
            for k in pa if k in pb for scenario, service in [k]]


COST_FIGURES = (("cpu_per_request_us", "service CPU µs/request"), ("others_per_request_us", "other host CPU µs/request"),
                ("peak_mib", "service peak MiB"))


COST_NOTE = ("Service CPU from its cgroup (or the Engine API); other host CPU = the machine's busy CPU "
             "minus the service's, the generator's and the databases' own, per successful request.")


def cost_rows(a: list[Level], b: list[Level]) -> list[list[str]]:
    """At each run's peak: what a request cost the service, what it cost the host outside the
    benchmark's processes, and the service's memory, A beside B."""
    pa, pb = analysis.peaks(a), analysis.peaks(b)
    rows = []
    for key in [k for k in pa if k in pb and pa[k].cell and pb[k].cell]:
        for figure, name in COST_FIGURES:
            x, y = pa[key].cell.estimate(figure), pb[key].cell.estimate(figure)
            rows.append([*key, name, fmt_estimate(x), fmt_estimate(y), _ratio(x, y), verdict(x, y)])
    return rows


def cpu_of(doc: dict) -> str:
    """The CPU's identity (machine.identity), or its model name in runs recorded before it."""
    cpu = doc["environment"].get("cpu") or {}
    return cpu.get("identity") or doc["environment"]["cpu_model"]


def _origin(doc: dict) -> str:
    env = doc["environment"]
    return f"commit {str(env['git_commit'])[:10]}, {env['placement']['mode']}, {cpu_of(doc)}"


def warnings(a: dict, b: dict) -> list[str]:
    out = []
    tool_a, tool_b = a["run"]["options"].get("tool"), b["run"]["options"].get("tool")
    if tool_a != tool_b:
        out.append(f"warning: closed loops by different tools ({tool_a} vs {tool_b})")
    if cpu_of(a) != cpu_of(b):
        out.append(f"warning: different CPUs ({cpu_of(a)} vs {cpu_of(b)}): the ratio between stacks "
                   "moves with the CPU, so these runs compare machines as much as code")
    return out


def render(a: dict, b: dict) -> str:
    ra, rb = a["run"]["id"], b["run"]["id"]
    la, lb = typed_levels(a), typed_levels(b)
    cells = cell_rows(la, lb)
    moved = Counter(row[-1] for row in cells)
    counts = (f"{len(cells)} cells in both: {moved[SAME]} no significant change, "
              f"{moved['higher in B']} higher in B, {moved['lower in B']} lower in B, "
              f"{moved[ONE_ROUND]} with a single round "
              "(successful req/s; significant = the two 95 % intervals do not overlap)")
    notes = [counts, f"{stats.METHOD_NOTE}.", f"A = {ra} ({_origin(a)})", f"B = {rb} ({_origin(b)})", *warnings(a, b)]
    peaks = peak_rows(la, lb)
    header = ["scenario", "service", "A", "B", "B/A", "change"]
    return "\n".join([
        f"# Compare {ra} vs {rb}", "", *(f"- {n}" for n in notes), "",
        "## Peaks (successful req/s, median [95 % interval]; generator-bound cells left out)", "",
        table(header, peaks) if peaks else "_no peak in common_", "",
        "## What a request cost at each run's peak (median [95 % interval])", "",
        COST_NOTE, "",
        table(["scenario", "service", "figure", "A", "B", "B/A", "change"], cost_rows(la, lb))
        if peaks else "_no peak in common_", "",
        "## Cells (successful req/s, median [95 % interval])", "",
        table(["scenario", "service", "load", "A", "B", "B/A", "change"], cells)
        if cells else "_no cell in common_", ""])
