"""`loadtest summary DIR [DIR ...]`: the figures README quotes, from one definition of a peak
(analysis.peak): each scenario's peak per service, and the ratios between services, per run and
(with several runs of the same protocol) their median. A ratio is taken within one run only."""

from __future__ import annotations

from .. import analysis
from ..level import Level
from ..results import levels as typed_levels
from .markdown import fmt, peak_cell, table

DEFAULT_RATIOS = ("go_stdlib/fastapi_tuned", "fastapi_tuned/fastapi_naive", "rust_axum/go_stdlib")


def parse_ratio(text: str) -> tuple[str, str]:
    numerator, sep, denominator = text.partition("/")
    if not sep or not numerator or not denominator:
        raise ValueError(f"bad ratio {text!r}: use NUMERATOR/DENOMINATOR, e.g. go_stdlib/fastapi_tuned")
    return numerator, denominator


def peaks_table(levels: list[Level]) -> str:
    peaks = analysis.peaks(levels)
    services = analysis.services_of(levels)
    rows = [[scenario, *("" if (scenario, s) not in peaks else peak_cell(peaks[(scenario, s)])
                         for s in services)]
            for scenario in analysis.scenarios_of(analysis.closed(levels))]
    return table(["scenario", *services], rows)


def ratio_rows(runs: list[list[Level]], pairs: list[tuple[str, str]]) -> list[list[str]]:
    per_run = [analysis.peaks(levels) for levels in runs]
    scenarios = list(dict.fromkeys(s for levels in runs for s in analysis.scenarios_of(analysis.closed(levels))))
    rows = []
    for numerator, denominator in pairs:
        for scenario in scenarios:
            values = [analysis.ratio(p, scenario, numerator, denominator) for p in per_run]
            if all(v is None for v in values):
                continue
            median = analysis.median(values)
            rows.append([f"{numerator} / {denominator}", scenario,
                         *(fmt(v, 2, "x") for v in values), fmt(median, 2, "x")])
    return rows


def render(docs: list[dict], pairs: list[tuple[str, str]]) -> str:
    runs = [typed_levels(doc) for doc in docs]
    lines = ["# Summary", ""]
    for doc, levels in zip(docs, runs, strict=True):
        env = doc["environment"]
        origin = (f"commit `{str(env['git_commit'])[:10]}`, {env['cpu_model']}, "
                  f"{env['placement']['mode']}; successful req/s at the peak (users); "
                  "† = every level generator-bound")
        lines += [f"## {doc['run']['id']}", "", origin, "", peaks_table(levels), ""]
    header = ["ratio", "scenario", *(f"run {i + 1}" for i in range(len(runs))), "median"]
    rows = ratio_rows(runs, pairs)
    lines += ["## Ratios of peaks (within each run)", "",
              table(header, rows) if rows else "_no pair measured in these runs_", ""]
    if len({doc["environment"]["cpu_model"] for doc in docs}) > 1:
        lines += [("warning: the runs ran on different CPU models; their ratios differ for that "
                   "reason too"), ""]
    return "\n".join(lines)
