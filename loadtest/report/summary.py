"""`loadtest summary DIR [DIR ...]`: the figures README quotes, from the one figure rule and the
one ratio rule (analysis.py). Per run and scenario: every service's successful req/s and CPU per
request over its plateau, with their intervals and what limited them; then ratios between
services, with their intervals and significance after Holm's correction across every ratio of
the run (the rule `compare` uses too: significance.py). A ratio of throughputs is called a stack
comparison only where both sides were bound by their own CPU; elsewhere the CPU-per-request
ratio is the one that compares the stacks. Given several runs, each ratio of the first is set
against the same ratio in every later run (analysis.ratio_change): they agree where the 95 %
interval of the one over the other holds 1.

compute() makes every figure once; markdown(), terminal() and as_json() only format it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .. import analysis
from ..core import stats
from ..core.errors import UsageError
from ..core.stats import Estimate
from ..measurement import headline
from ..records.document import RunDocument
from . import significance, terminal
from .compare import estimate_json
from .markdown import fmt_ratio, plateau_cell, table
from .plateaus import plateaus_and_errors

SCHEMA_VERSION = 3
# README's comparisons, in headline.toml's order: the ones a sweep's headline part measures in blocks
DEFAULT_RATIOS = tuple(dict.fromkeys(f"{c.numerator}/{c.denominator}" for c in headline.load().comparisons))
STACKS = "stack comparison"


def parse_ratio(text: str) -> tuple[str, str]:
    numerator, sep, denominator = text.partition("/")
    if not sep or not numerator or not denominator:
        raise ValueError(f"bad ratio {text!r}: use NUMERATOR/DENOMINATOR, e.g. go_stdlib/fastapi_tuned")
    return numerator, denominator


@dataclass(frozen=True)
class Ratio:
    numerator: str
    denominator: str
    scenario: str
    rps: Estimate  # numerator / denominator successful req/s
    cpu: Estimate  # denominator / numerator CPU per request: above 1, the numerator is cheaper
    stack_comparison: bool
    bounds: tuple[str, str]  # what limited each side's plateau
    rps_p: float | None = None  # Holm-adjusted p-values (significance.adjust)
    cpu_p: float | None = None
    rps_rounds: tuple[float, ...] = ()  # the per-round ratios the estimates come from
    cpu_rounds: tuple[float, ...] = ()

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
    plateaus: dict[tuple[str, str], analysis.Plateau]  # (scenario, service), in that order
    errors: dict[tuple[str, str], int]  # errors over all of a service's closed-loop levels
    ratios: list[Ratio]

    @property
    def comparisons(self) -> int:
        """How many tests Holm's correction counted in this run."""
        return sum((r.rps_p is not None) + (r.cpu_p is not None) for r in self.ratios)


FIGURES = {"ok_rps": "req/s", "cpu_per_request_us": "CPU/request"}


@dataclass(frozen=True)
class Agreement:
    """One ratio in the first run (A) and in a later one (B)."""

    numerator: str
    denominator: str
    scenario: str
    figure: str  # ok_rps (numerator / denominator) or cpu_per_request_us (denominator / numerator)
    a_run: str
    b_run: str
    a: Estimate
    b: Estimate
    change: Estimate  # B / A, Welch t on the rounds' logarithms

    @property
    def agree(self) -> bool | None:
        """B / A's interval holds 1; None without an interval (fewer than 3 rounds in a run)."""
        return None if not self.change.has_interval else not self.change.excludes(1.0)


@dataclass(frozen=True)
class Summary:
    runs: list[Run]
    warnings: list[str]
    agreement: list[Agreement] = dataclasses.field(default_factory=list)

    @property
    def agreement_counts(self) -> dict[str, int]:
        verdicts = [a.agree for a in self.agreement]
        return {"compared": len(verdicts), "agree": verdicts.count(True), "differ": verdicts.count(False),
                "untested": verdicts.count(None)}


def check_ratios(docs: list[RunDocument], pairs: list[tuple[str, str]]) -> None:
    """A ratio the user names must name services every run measured (a usage error otherwise)."""
    for doc in docs:
        measured = analysis.ordered_services(lv.service for lv in doc.levels if lv.mode == "closed")
        for pair in pairs:
            missing = [s for s in pair if s not in measured]
            if missing:
                raise UsageError(f"--ratio {'/'.join(pair)}: {', '.join(missing)} not measured in run "
                                 f"{doc.run.id}; measured: {', '.join(measured) or 'none'}")


def _ratios(plateaus: dict, scenarios: list[str], pairs: list[tuple[str, str]]) -> list[Ratio]:
    out = []
    for numerator, denominator in pairs:
        for scenario in scenarios:
            rps = analysis.ratio(plateaus, scenario, numerator, denominator)
            if rps.value is None:
                continue
            cpu = analysis.ratio(plateaus, scenario, denominator, numerator, figure="cpu_per_request_us")
            a, b = plateaus[(scenario, numerator)], plateaus[(scenario, denominator)]
            out.append(Ratio(numerator, denominator, scenario, rps, cpu,
                             analysis.stack_comparison(plateaus, scenario, numerator, denominator),
                             (a.bound, b.bound), rps_rounds=tuple(analysis.round_ratios(a, b)),
                             cpu_rounds=tuple(analysis.round_ratios(b, a, "cpu_per_request_us"))))
    adjusted = significance.adjust([e for r in out for e in (r.rps, r.cpu)])
    return [dataclasses.replace(r, rps_p=adjusted[2 * i], cpu_p=adjusted[2 * i + 1]) for i, r in enumerate(out)]


def _agreement(runs: list[Run]) -> list[Agreement]:
    """Each ratio of the first run against the same ratio in each later run, both figures."""
    if len(runs) < 2:
        return []
    first = {(r.numerator, r.denominator, r.scenario): r for r in runs[0].ratios}
    out = []
    for run in runs[1:]:
        for r in run.ratios:
            f = first.get((r.numerator, r.denominator, r.scenario))
            if f is None:
                continue
            for figure, a, b, ra, rb in (("ok_rps", f.rps, r.rps, f.rps_rounds, r.rps_rounds),
                                         ("cpu_per_request_us", f.cpu, r.cpu, f.cpu_rounds, r.cpu_rounds)):
                out.append(Agreement(r.numerator, r.denominator, r.scenario, figure, runs[0].id, run.id, a, b,
                                     analysis.ratio_change(list(ra), list(rb))))
    return out


def compute(docs: list[RunDocument], pairs: list[tuple[str, str]]) -> Summary:
    runs = []
    for doc in docs:
        plateaus, errors = plateaus_and_errors(doc.measured())
        scenarios = analysis.ordered_scenarios(s for s, _ in plateaus)
        env = doc.environment
        runs.append(Run(doc.run.id, str(env.git_commit), env.cpu_identity, env.placement.mode,
                        doc.rounds, scenarios,  # the headline part's too
                        analysis.ordered_services(s for _, s in plateaus), plateaus, errors,
                        _ratios(plateaus, scenarios, pairs)))
    warnings = []
    if len({r.cpu for r in runs}) > 1:
        warnings.append("warning: the runs ran on different CPUs; ratios between stacks move with the "
                        "CPU, so compare them only within one CPU")
    return Summary(runs, warnings, _agreement(runs))


FIGURES_NOTE = ("Figures: successful req/s over each service's plateau, estimate [95 % interval] (plateau "
                "users, what limited it; the level of best throughput, a description only); CPU per "
                "successful request in µs, the same way. † = every plateau cell generator-bound: a floor.")
RATIOS_NOTE = "Ratios over the plateaus, per round then over rounds (estimate [95 % interval]):"


def _origin(r: Run) -> str:
    return f"commit `{r.commit[:10]}`, {r.cpu}, {r.placement}, {r.rounds} round(s)"


def _kind(r: Ratio) -> str:
    return STACKS if r.stack_comparison else (f"not both service-bound ({' / '.join(r.bounds)}): "
                                              "compare CPU per request")


def _significance_note(run: Run) -> str:
    return f"{stats.METHOD_NOTE}. {analysis.PLATEAU_NOTE}. {significance.note(run.comparisons)}"


def markdown(s: Summary) -> str:
    lines = ["# Summary", ""]
    for run in s.runs:
        grid = [[scenario, *("" if (scenario, svc) not in run.plateaus else plateau_cell(run.plateaus[(scenario, svc)])
                             for svc in run.services)] for scenario in run.scenarios]
        rows = [[f"{r.numerator} / {r.denominator}", r.scenario, fmt_ratio(r.rps), significance.words(r.rps, r.rps_p),
                 fmt_ratio(r.cpu), significance.words(r.cpu, r.cpu_p), _kind(r)] for r in run.ratios]
        header = ["ratio", "scenario", "req/s ratio", "", "CPU-per-request ratio (den/num)", "", "what it compares"]
        lines += [f"## {run.id}", "", _origin(run), "", FIGURES_NOTE, "",
                  table(["scenario", *run.services], grid) if grid else "", "", RATIOS_NOTE, "",
                  table(header, rows) if rows else "_no pair measured in this run_", "",
                  _significance_note(run), ""]
    if s.agreement:
        rows = [[f"{a.numerator} / {a.denominator}", a.scenario, FIGURES[a.figure], fmt_ratio(a.a), fmt_ratio(a.b),
                 fmt_ratio(a.change), _agree_word(a)] for a in s.agreement]
        lines += ["## Between runs", "", _agreement_note(s), "",
                  table(["ratio", "scenario", "figure", "A", "B", "B / A", "agree"], rows), ""]
    for w in s.warnings:
        lines += [w, ""]
    return "\n".join(lines)


def _agree_word(a: Agreement) -> str:
    return {True: "yes", False: "**no**", None: "–"}[a.agree]


def _agreement_note(s: Summary) -> str:
    n = s.agreement_counts
    runs = list(dict.fromkeys(x.b_run for x in s.agreement))
    return (f"Each ratio of {s.agreement[0].a_run} (A) against the same ratio of {', '.join(runs)} (B), "
            f"req/s and CPU per request: B / A with its 95 % interval (Welch t on the rounds' "
            f"logarithms); the two agree where that interval holds 1. They agree on {n['agree']} of "
            f"{n['compared']} ({n['differ']} differ, {n['untested']} without an interval: "
            f"{stats.NO_INTERVAL} in a run).")


def terminal_text(s: Summary) -> str:
    """Plain tables within 100 columns: each run's figures (as a sweep prints them), then its
    ratios grouped by pair, a figure never cut."""
    out = []
    for run in s.runs:
        out += [terminal.wrap(f"run {run.id}: {_origin(run).replace('`', '')}"), "",
                terminal.figures_block(run.id, terminal.format_figures(run.plateaus, run.errors)), ""]
        by_pair: dict[str, list[list[str]]] = {}
        for r in run.ratios:
            by_pair.setdefault(f"{r.numerator} / {r.denominator}", []).append(
                [r.scenario, fmt_ratio(r.rps), significance.mark(r.rps, r.rps_p), fmt_ratio(r.cpu),
                 significance.mark(r.cpu, r.cpu_p), r.compares])
        header = ["scenario", "req/s ratio", "sig", "CPU/request (den/num)", "sig", "compares"]
        every = [row for rows in by_pair.values() for row in rows]
        for pair, rows in by_pair.items():
            out += [f"ratio {pair}", terminal.text_table(header, rows, "lrlrll", "  ", every), ""]
        if not run.ratios:
            out += ["no pair measured in this run", ""]
        out += [terminal.wrap(f"sig: {significance.MARKS_NOTE}. {_significance_note(run)}"), ""]
    if s.agreement:
        by_pair = {}
        for a in s.agreement:
            by_pair.setdefault(f"{a.numerator} / {a.denominator}", []).append(
                [a.scenario, FIGURES[a.figure], fmt_ratio(a.a), fmt_ratio(a.b), fmt_ratio(a.change),
                 _agree_word(a).strip("*")])
        header = ["scenario", "figure", "A", "B", "B / A", "agree"]
        every = [row for rows in by_pair.values() for row in rows]
        out += ["between runs", ""]
        for pair, rows in by_pair.items():
            out += [f"ratio {pair}", terminal.text_table(header, rows, "llrrrl", "  ", every), ""]
        out += [terminal.wrap(_agreement_note(s)), ""]
    out += s.warnings
    return "\n".join(out).rstrip() + "\n"


def as_json(s: Summary) -> dict:
    """The document summary.schema.json describes."""
    def figure(p: analysis.Plateau, errors: int) -> dict:
        best = p.best
        return {"scenario": p.scenario, "service": p.service, "plateau_users": p.loads,
                "best_users": best.load if best else None, "errors": errors,
                "bound": p.bound if p.cells else None, "generator_bound": not p.cells or p.floor,
                "ok_rps": estimate_json(p.ok_rps),
                "cpu_per_request_us": estimate_json(p.estimate("cpu_per_request_us"))}

    def ratio(r: Ratio) -> dict:
        return {"numerator": r.numerator, "denominator": r.denominator, "scenario": r.scenario,
                "ok_rps_ratio": estimate_json(r.rps), "ok_rps_p_holm": r.rps_p,
                "ok_rps_significant": stats.significant(r.rps_p),
                "cpu_per_request_ratio": estimate_json(r.cpu), "cpu_per_request_p_holm": r.cpu_p,
                "cpu_per_request_significant": stats.significant(r.cpu_p),
                "stack_comparison": r.stack_comparison, "bounds": list(r.bounds)}

    def agreement(a: Agreement) -> dict:
        return {"numerator": a.numerator, "denominator": a.denominator, "scenario": a.scenario,
                "figure": a.figure, "a_run": a.a_run, "b_run": a.b_run, "a": estimate_json(a.a),
                "b": estimate_json(a.b), "change": estimate_json(a.change), "agree": a.agree}

    return {"schema_version": SCHEMA_VERSION, "kind": "summary", "method": stats.METHOD_NOTE,
            "plateau": analysis.PLATEAU_NOTE, "plateau_from_users": analysis.PLATEAU_FROM_USERS,
            "correction": stats.HOLM,
            "runs": [{"id": r.id, "commit": r.commit, "cpu": r.cpu, "placement": r.placement,
                      "rounds": r.rounds, "scenarios": r.scenarios, "services": r.services,
                      "comparisons": r.comparisons,
                      "figures": [figure(p, r.errors.get(k, 0)) for k, p in r.plateaus.items()],
                      "ratios": [ratio(x) for x in r.ratios]}
                     for r in s.runs],
            "agreement": {**s.agreement_counts, "rows": [agreement(a) for a in s.agreement]},
            "warnings": s.warnings}


def render(docs: list[RunDocument], pairs: list[tuple[str, str]]) -> str:
    """The Markdown (summary.md)."""
    return markdown(compute(docs, pairs))
