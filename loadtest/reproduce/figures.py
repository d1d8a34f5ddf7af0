"""From a replay's levels to the figures the page shows and the verdict rules read: per step
and rung its figures over its plateau (analysis.plateaus, as a sweep's) and bound; the ratio
(analysis.plateau_ratio); the ramp points. Pure functions of Level values."""

from __future__ import annotations

from dataclasses import dataclass

from .. import analysis
from ..analysis import Cell, Plateau
from ..core import stats
from ..core.stats import Estimate
from ..records.level import Level
from . import verdict
from .base import Ramp, Step
from .runner import RampResult, Replay, StepResult, availability


@dataclass(frozen=True)
class RungFigures:
    service: str
    plateau: Plateau | None
    errors: int
    attempts: int

    def estimate(self, figure: str) -> Estimate:
        return self.plateau.estimate(figure) if self.plateau else stats.NONE

    @property
    def cell(self) -> Cell | None:
        """The plateau's cell of best throughput: a description of where, not the figure."""
        return self.plateau.best if self.plateau else None

    @property
    def bound(self) -> str:
        return self.plateau.bound if self.plateau and self.plateau.cells else "unknown"

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.attempts if self.attempts else None


def plateau(levels: list[Level], service: str) -> Plateau | None:
    """The rung's plateau over the step's users levels (analysis.plateaus)."""
    return next((p for (_, s), p in analysis.plateaus(levels).items() if s == service), None)


def rung_figures(result: StepResult, service: str) -> RungFigures:
    own = [lv for lv in result.levels if lv.service == service]
    attempts = sum(lv.ok + lv.errors.total for lv in own)
    return RungFigures(service, plateau(result.levels, service), sum(lv.errors.total for lv in own), attempts)


def p99_at(result: StepResult, service: str, users: int) -> Estimate:
    return stats.estimate(lv.latency_ms.p99 for lv in result.levels
                          if lv.service == service and lv.users == users)


def step_verdict(result: StepResult) -> tuple[Estimate, verdict.Verdict]:
    s: Step = result.step
    fast, slow = rung_figures(result, s.fast), rung_figures(result, s.slow)
    found = (analysis.plateau_ratio(fast.plateau, slow.plateau) if fast.plateau and slow.plateau
             else stats.NONE)
    bounds = {s.fast: fast.bound, s.slow: slow.bound}
    return found, verdict.ratio_verdict(s.kind, s.claimed_ratio, found, s.fast, s.slow, bounds)


def ramp_points(result: RampResult) -> dict[str, list[verdict.Point]]:
    ramp: Ramp = result.ramp
    out = {}
    for service, levels in result.levels.items():
        out[service] = [
            verdict.Point(load, availability(lv, load if ramp.open_loop else None), at_s,
                          error_words(lv), hits, lv.bound)
            for lv, load, at_s, hits in zip(levels, result.offered[service], result.at_s[service],
                                            result.log_hits[service], strict=True)]
    return out


def ramp_verdict(result: RampResult) -> verdict.Verdict:
    r = result.ramp
    return verdict.failure_verdict(r.failing, r.fixed, ramp_points(result), r.stop_below,
                                   "req/s offered" if r.open_loop else "users")


def error_words(lv: Level) -> str:
    """The level's errors by kind, most frequent first: '812 x 503, 40 x timeout'."""
    kinds = {**{f"status {k}": v for k, v in lv.errors.status.items()}, **lv.errors.transport}
    if lv.dropped:  # k6: no free VU; oha: every connection busy until the deadline
        kinds[f"arrivals never sent by {lv.tool}"] = lv.dropped
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{v} x {k}" for k, v in top if v)


def judge(replay: Replay) -> tuple[verdict.Verdict, list[verdict.Verdict]]:
    """The protocol's verdict (its worst part's) and each step's and ramp's, in page order."""
    parts = [step_verdict(r)[1] for r in replay.steps] + [ramp_verdict(r) for r in replay.ramps]
    if replay.failures and not any(r.levels for r in replay.steps):
        parts.append(verdict.Verdict(verdict.UNMEASURED, "; ".join(replay.failures)))
    return verdict.combine(parts), parts
