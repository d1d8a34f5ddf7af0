"""`loadtest summary DIR [DIR ...]`: the figures README quotes, from one definition of a peak
(analysis.peak). Per scenario: every service's peak successful req/s and CPU per request with
their intervals and what limited them; then ratios between services, taken round by round
within a run, with their intervals. A ratio of throughputs is called a stack comparison only
where both sides were bound by their own CPU; elsewhere the CPU-per-request ratio is the one
that compares the stacks."""

from __future__ import annotations

from .. import analysis, stats
from ..level import Level
from ..results import levels as typed_levels
from ..stats import Estimate
from .compare import cpu_of
from .markdown import fmt_ratio, peaks_grid, table

DEFAULT_RATIOS = ("go_stdlib/fastapi_tuned", "fastapi_tuned/fastapi_naive", "rust_axum/go_stdlib")


def parse_ratio(text: str) -> tuple[str, str]:
    numerator, sep, denominator = text.partition("/")
    if not sep or not numerator or not denominator:
        raise ValueError(f"bad ratio {text!r}: use NUMERATOR/DENOMINATOR, e.g. go_stdlib/fastapi_tuned")
    return numerator, denominator


def significance(e: Estimate) -> str:
    if e.median is None:
        return "–"
    if e.n < 2:
        return "one round: not tested"
    return "significant" if e.excludes(1.0) else "not significant"


def ratio_rows(levels: list[Level], pairs: list[tuple[str, str]]) -> list[list[str]]:
    peaks = analysis.peaks(levels)
    rows = []
    for numerator, denominator in pairs:
        for scenario in analysis.scenarios_of(analysis.closed(levels)):
            rps = analysis.ratio(peaks, scenario, numerator, denominator)
            if rps.median is None:
                continue
            cpu = analysis.ratio(peaks, scenario, denominator, numerator, figure="cpu_per_request_us")
            kind = ("stack comparison" if analysis.stack_comparison(peaks, scenario, numerator, denominator)
                    else f"not both service-bound ({_bounds(peaks, scenario, numerator, denominator)}): "
                         "compare CPU per request")
            rows.append([f"{numerator} / {denominator}", scenario, fmt_ratio(rps),
                         significance(rps), fmt_ratio(cpu), significance(cpu), kind])
    return rows


def _bounds(peaks: dict, scenario: str, a: str, b: str) -> str:
    return " / ".join(peaks[(scenario, s)].cell.bound for s in (a, b))


def render(docs: list[dict], pairs: list[tuple[str, str]]) -> str:
    lines = ["# Summary", ""]
    for doc in docs:
        levels = typed_levels(doc)
        env, rounds = doc["environment"], doc["run"]["options"].get("rounds", 1)
        origin = (f"commit `{str(env['git_commit'])[:10]}`, {cpu_of(doc)}, "
                  f"{env['placement']['mode']}, {rounds} round(s)")
        rows = ratio_rows(levels, pairs)
        header = ["ratio", "scenario", "req/s ratio", "", "CPU-per-request ratio (den/num)", "", "what it compares"]
        lines += [f"## {doc['run']['id']}", "", origin, "",
                  ("Peaks: successful req/s, median [95 % interval] (users, what limited it); CPU "
                   "per successful request in µs. † = every cell generator-bound."), "",
                  peaks_grid(levels), "",
                  "Ratios at each service's peak, round by round (median [95 % interval]):", "",
                  table(header, rows) if rows else "_no pair measured in this run_", "",
                  f"{stats.METHOD_NOTE}; significant = the interval excludes 1.", ""]
    if len({cpu_of(doc) for doc in docs}) > 1:
        lines += [("warning: the runs ran on different CPUs; ratios between stacks move with the "
                   "CPU, so compare them only within one CPU"), ""]
    return "\n".join(lines)
