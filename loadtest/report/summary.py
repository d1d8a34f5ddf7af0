"""`loadtest summary DIR [DIR ...]`: the figures README quotes, from one definition of a peak
(analysis.peak). Per run and scenario: every service's peak successful req/s and CPU per request
with their intervals and what limited them; then ratios between services, taken round by round
within the run, with their intervals. A ratio of throughputs is called a stack comparison only
where both sides were bound by their own CPU; elsewhere the CPU-per-request ratio is the one
that compares the stacks.

compute() makes every figure once; markdown(), terminal() and as_json() only format it."""

from __future__ import annotations

from dataclasses import dataclass

from .. import analysis, stats
from ..errors import UsageError
from ..results import levels as typed_levels
from ..stats import Estimate
from . import terminal
from .compare import cpu_of, estimate_json
from .markdown import fmt_ratio, peak_cell, table
from .peaks import peaks_and_errors

SCHEMA_VERSION = 1
DEFAULT_RATIOS = ("go_stdlib/fastapi_tuned", "fastapi_tuned/fastapi_naive", "rust_axum/go_stdlib")
STACKS = "stack comparison"


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


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str
    scenario: str
    rps: Estimate  # numerator / denominator successful req/s
    cpu: Estimate  # denominator / numerator CPU per request: above 1, the numerator is cheaper
    stack_comparison: bool
    bounds: tuple[str, str]  # what limited each side's peak

    @property
    def compares(self) -> str:
        return STACKS if self.stack_comparison else "CPU per request"


@dataclass(frozen=True)
class Run:
    id: str
    commit: str
    cpu: str
    placement: str
    rounds: int
    scenarios: list[str]  # registry order
    services: list[str]
    peaks: dict[tuple[str, str], analysis.Peak]  # (scenario, service), in that order
    errors: dict[tuple[str, str], int]  # errors over all of a service's closed-loop levels
    ratios: list[Ratio]


@dataclass(frozen=True)
class Summary:
    runs: list[Run]
    warnings: list[str]


def check_ratios(docs: list[dict], pairs: list[tuple[str, str]]) -> None:
    """A ratio the user names must name services every run measured (a usage error otherwise)."""
    for doc in docs:
        measured = analysis.ordered_services(lv["service"] for lv in doc["levels"] if lv.get("mode", "closed") == "closed")
        for pair in pairs:
            missing = [s for s in pair if s not in measured]
            if missing:
                raise UsageError(f"--ratio {'/'.join(pair)}: {', '.join(missing)} not measured in run "
                                 f"{doc['run']['id']}; measured: {', '.join(measured) or 'none'}")


def _ratios(peaks: dict, scenarios: list[str], pairs: list[tuple[str, str]]) -> list[Ratio]:
    out = []
    for numerator, denominator in pairs:
        for scenario in scenarios:
            rps = analysis.ratio(peaks, scenario, numerator, denominator)
            if rps.median is None:
                continue
            cpu = analysis.ratio(peaks, scenario, denominator, numerator, figure="cpu_per_request_us")
            bounds = tuple(peaks[(scenario, s)].cell.bound for s in (numerator, denominator))
            out.append(Ratio(numerator, denominator, scenario, rps, cpu,
                             analysis.stack_comparison(peaks, scenario, numerator, denominator), bounds))
    return out


def compute(docs: list[dict], pairs: list[tuple[str, str]]) -> Summary:
    runs = []
    for doc in docs:
        levels = typed_levels(doc)
        peaks, errors = peaks_and_errors(levels)
        scenarios = analysis.ordered_scenarios(s for s, _ in peaks)
        env = doc["environment"]
        runs.append(Run(doc["run"]["id"], str(env["git_commit"]), cpu_of(doc), env["placement"]["mode"],
                        doc["run"]["options"].get("rounds", 1), scenarios,
                        analysis.ordered_services(s for _, s in peaks), peaks, errors, _ratios(peaks, scenarios, pairs)))
    warnings = []
    if len({r.cpu for r in runs}) > 1:
        warnings.append("warning: the runs ran on different CPUs; ratios between stacks move with the "
                        "CPU, so compare them only within one CPU")
    return Summary(runs, warnings)


PEAKS_NOTE = ("Peaks: successful req/s, median [95 % interval] (users, what limited it); CPU per "
              "successful request in µs. † = every cell generator-bound.")
RATIOS_NOTE = "Ratios at each service's peak, round by round (median [95 % interval]):"
SIGNIFICANT_NOTE = f"{stats.METHOD_NOTE}; significant = the interval excludes 1."


def _origin(r: Run) -> str:
    return f"commit `{r.commit[:10]}`, {r.cpu}, {r.placement}, {r.rounds} round(s)"


def _kind(r: Ratio) -> str:
    return STACKS if r.stack_comparison else (f"not both service-bound ({' / '.join(r.bounds)}): "
                                              "compare CPU per request")


def markdown(s: Summary) -> str:
    lines = ["# Summary", ""]
    for run in s.runs:
        grid = [[scenario, *("" if (scenario, svc) not in run.peaks else peak_cell(run.peaks[(scenario, svc)])
                             for svc in run.services)] for scenario in run.scenarios]
        rows = [[f"{r.numerator} / {r.denominator}", r.scenario, fmt_ratio(r.rps), significance(r.rps),
                 fmt_ratio(r.cpu), significance(r.cpu), _kind(r)] for r in run.ratios]
        header = ["ratio", "scenario", "req/s ratio", "", "CPU-per-request ratio (den/num)", "", "what it compares"]
        lines += [f"## {run.id}", "", _origin(run), "", PEAKS_NOTE, "",
                  table(["scenario", *run.services], grid) if grid else "", "", RATIOS_NOTE, "",
                  table(header, rows) if rows else "_no pair measured in this run_", "",
                  SIGNIFICANT_NOTE, ""]
    for w in s.warnings:
        lines += [w, ""]
    return "\n".join(lines)


def terminal_text(s: Summary) -> str:
    """Plain tables within 100 columns: each run's peaks (as a sweep prints them), then its ratios
    grouped by pair, a figure never cut."""
    out = []
    for run in s.runs:
        out += [terminal.wrap(f"run {run.id}: {_origin(run).replace('`', '')}"), "",
                terminal.peaks_block(run.id, terminal.format_peaks(run.peaks, run.errors)), ""]
        by_pair: dict[str, list[list[str]]] = {}
        for r in run.ratios:
            by_pair.setdefault(f"{r.numerator} / {r.denominator}", []).append(
                [r.scenario, fmt_ratio(r.rps), _mark(r.rps), fmt_ratio(r.cpu), _mark(r.cpu), r.compares])
        header = ["scenario", "req/s ratio", "sig", "CPU/request (den/num)", "sig", "compares"]
        every = [row for rows in by_pair.values() for row in rows]
        for pair, rows in by_pair.items():
            out += [f"ratio {pair}", terminal.text_table(header, rows, "lrlrll", "  ", every), ""]
        if not run.ratios:
            out += ["no pair measured in this run", ""]
        out += [terminal.wrap(f"sig: yes = significant, no = not, - = one round (not tested). {SIGNIFICANT_NOTE}"), ""]
    out += s.warnings
    return "\n".join(out).rstrip() + "\n"


def _mark(e: Estimate) -> str:
    return {"significant": "yes", "not significant": "no"}.get(significance(e), "-")


def _significant(e: Estimate) -> bool | None:
    return {"significant": True, "not significant": False}.get(significance(e))


def as_json(s: Summary) -> dict:
    """The document summary.schema.json describes."""
    def peak(p: analysis.Peak, errors: int) -> dict:
        cell = p.cell
        return {"scenario": p.scenario, "service": p.service, "users": cell.load if cell else None,
                "errors": errors,
                "bound": cell.bound if cell else None, "generator_bound": cell is None or cell.generator_bound,
                "ok_rps": estimate_json(p.ok_rps),
                "cpu_per_request_us": estimate_json(cell.estimate("cpu_per_request_us") if cell else stats.NONE)}

    def ratio(r: Ratio) -> dict:
        return {"numerator": r.numerator, "denominator": r.denominator, "scenario": r.scenario,
                "ok_rps_ratio": estimate_json(r.rps), "ok_rps_significant": _significant(r.rps),
                "cpu_per_request_ratio": estimate_json(r.cpu), "cpu_per_request_significant": _significant(r.cpu),
                "stack_comparison": r.stack_comparison, "bounds": list(r.bounds)}

    return {"schema_version": SCHEMA_VERSION, "kind": "summary", "method": stats.METHOD_NOTE,
            "runs": [{"id": r.id, "commit": r.commit, "cpu": r.cpu, "placement": r.placement,
                      "rounds": r.rounds, "scenarios": r.scenarios, "services": r.services,
                      "peaks": [peak(p, r.errors.get(k, 0)) for k, p in r.peaks.items()], "ratios": [ratio(x) for x in r.ratios]}
                     for r in s.runs],
            "warnings": s.warnings}


def render(docs: list[dict], pairs: list[tuple[str, str]]) -> str:
    """The Markdown (summary.md)."""
    return markdown(compute(docs, pairs))
