"""`loadtest compare A B`: two runs side by side, with B/A ratios, as a markdown table: first
each scenario's peak per service (analysis.peak), then every level measured in both."""

from __future__ import annotations

from .. import analysis
from ..level import Level
from ..results import levels as typed_levels
from .markdown import fmt, table


def _ratio(a, b) -> str:
    if a in (None, 0) or b is None:
        return "–"
    return f"{b / a:.2f}x"


def level_rows(a: list[Level], b: list[Level]) -> list[list[str]]:
    """One row per level measured in both runs."""
    def key(lv: Level) -> tuple:
        return (lv.scenario, lv.service, lv.mode, lv.load)

    la, lb = {key(lv): lv for lv in a}, {key(lv): lv for lv in b}
    out = []
    for k in [k for k in la if k in lb]:
        x, y = la[k], lb[k]
        scenario, service, mode, load = k
        out.append([scenario, service, f"{load}{'' if mode == 'closed' else ' req/s'}",
                    fmt(x.ok_rps), fmt(y.ok_rps), _ratio(x.ok_rps, y.ok_rps),
                    fmt(x.latency_ms.p99, 1), fmt(y.latency_ms.p99, 1),
                    _ratio(x.latency_ms.p99, y.latency_ms.p99),
                    str(x.errors.total), str(y.errors.total)])
    return out


def peak_rows(a: list[Level], b: list[Level]) -> list[list[str]]:
    pa, pb = analysis.peaks(a), analysis.peaks(b)
    return [[scenario, service, fmt(pa[k].ok_rps), fmt(pb[k].ok_rps), _ratio(pa[k].ok_rps, pb[k].ok_rps)]
            for k in pa if k in pb for scenario, service in [k]]


def _origin(doc: dict) -> str:
    env = doc["environment"]
    return f"commit {str(env['git_commit'])[:10]}, {env['placement']['mode']}, {env['cpu_model']}"


def warnings(a: dict, b: dict) -> list[str]:
    out = []
    tool_a, tool_b = a["run"]["options"].get("tool"), b["run"]["options"].get("tool")
    if tool_a != tool_b:
        out.append(f"warning: closed loops by different tools ({tool_a} vs {tool_b})")
    if a["environment"]["cpu_model"] != b["environment"]["cpu_model"]:
        out.append("warning: different CPU models, ratios compare machines as much as code")
    return out


def render(a: dict, b: dict) -> str:
    ra, rb = a["run"]["id"], b["run"]["id"]
    la, lb = typed_levels(a), typed_levels(b)
    levels = level_rows(la, lb)
    counts = (f"{len(levels)} levels in both; {len(la) - len(levels)} only in A, "
              f"{len(lb) - len(levels)} only in B.")
    notes = [f"A = {ra} ({_origin(a)})", f"B = {rb} ({_origin(b)})", counts, *warnings(a, b)]
    peaks = peak_rows(la, lb)
    return "\n".join([
        f"# Compare {ra} vs {rb}", "", *(f"- {n}" for n in notes), "",
        "## Peaks (successful req/s; generator-bound levels left out)", "",
        table(["scenario", "service", "A", "B", "B/A"], peaks) if peaks else "_no peak in common_", "",
        "## Levels (successful req/s, p99 ms, errors)", "",
        table(["scenario", "service", "users", "req/s A", "req/s B", "B/A", "p99 A", "p99 B", "B/A",
               "errors A", "errors B"], levels) if levels else "_no level in common_", ""])
