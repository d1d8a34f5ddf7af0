"""The verdict rules: one place decides whether a write-up's claim holds here, from the
measurements only, and says why in a sentence. Pure functions of estimates and ramp points, so
they are unit-tested on recorded samples (tests/unit/test_reproduce_verdict.py).

- A ratio claim holds when the faster rung wins with an interval that excludes 1 and the ratio
  found is within a factor SIZE_FACTOR of the write-up's (for "at least" claims: not below
  the claim divided by SIZE_FACTOR); it holds in direction only when the winner is right and the
  size is not; it does not hold when the interval includes 1 or the order is reversed.
- A qualitative claim ("Go wins CPU-bound") needs only the direction; a parity claim ("async
  holds up I/O-bound") holds when the ratio stays within a factor SIZE_FACTOR of 1.
- A failure claim holds when the failing rung's availability fell below the ramp's threshold
  and the fixing rung kept AVAILABLE at the same loads; in direction only when both degraded,
  or the failing one degraded without falling that far; it does not hold when nothing failed.
- A ramp step bound by the load generator is left out of a failure verdict: the tool, out of
  CPU, could not offer the load, so its fall is not the service's.
- A figure bounded by something other than the service's own CPU (generator, database,
  machine) is named in the reason: the ratio then measures that bound as much as the stacks."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import stats
from ..core.formatting import ratio_digits
from ..core.stats import Estimate

HOLDS = "holds"
DIRECTION = "holds in direction, not in size"
FAILS = "does not hold here"
UNMEASURED = "not measured"
ORDER = (HOLDS, DIRECTION, FAILS, UNMEASURED)  # a protocol's verdict is its worst step's
SIZE_FACTOR = 1.5  # ratios within a factor 1.5 of each other are the same size here
AVAILABLE = 0.99  # the fixing rung must keep this availability through the ramp
OWN_BOUNDS = ("service", "upstream")  # bounds that say the figure is the stack's own


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


def _wins(e: Estimate) -> bool:
    """Faster with an interval above 1 (below 3 rounds: its value, since there is no interval)."""
    return e.low > 1 if e.has_interval else (e.value or 0) > 1


def _loses(e: Estimate) -> bool:
    return e.high < 1 if e.has_interval else (e.value or 0) < 1


def _interval(e: Estimate) -> str:
    d = ratio_digits(e)
    if not e.has_interval:
        return f"{e.value:.{d}f}x ({stats.NO_INTERVAL})"
    return f"{e.value:.{d}f}x [{e.low:.{d}f}, {e.high:.{d}f}]"


def ratio_verdict(kind: str, claimed: float, found: Estimate, fast: str, slow: str,
                  bounds: dict[str, str] | None = None) -> Verdict:
    """The verdict of one step: `found` is fast/slow of successful requests/s (analysis.plateau_ratio)."""
    if found.value is None:
        return Verdict(UNMEASURED, f"no ratio: {fast} or {slow} answered nothing with success")
    caveat = _bound_caveat(bounds or {})
    if kind == "parity":
        same = 1 / SIZE_FACTOR <= found.value <= SIZE_FACTOR
        v = HOLDS if same else FAILS
        return Verdict(v, f"{fast}/{slow} = {_interval(found)}: "
                          f"{'within' if same else 'outside'} a factor {SIZE_FACTOR:g} of parity{caveat}")
    if not _wins(found):
        why = "reversed" if _loses(found) else "no significant difference (the interval includes 1)"
        return Verdict(FAILS, f"{fast}/{slow} = {_interval(found)}: {why}{caveat}")
    if kind == "direction":
        return Verdict(HOLDS, f"{fast} wins: {fast}/{slow} = {_interval(found)}{caveat}")
    sized = _same_size(kind, claimed, found)
    words = f"{_interval(found)} here, {'at least ' if kind == 'at_least' else ''}{claimed:.3g}x claimed"
    if sized:
        return Verdict(HOLDS, f"{fast} wins by {words}{caveat}")
    return Verdict(DIRECTION, f"{fast} wins, by {words}{caveat}")


def _same_size(kind: str, claimed: float, found: Estimate) -> bool:
    if kind == "at_least":
        return found.value >= claimed / SIZE_FACTOR
    inside = found.has_interval and found.low <= claimed <= found.high
    return inside or claimed / SIZE_FACTOR <= found.value <= claimed * SIZE_FACTOR


def _bound_caveat(bounds: dict[str, str]) -> str:
    others = {s: b for s, b in bounds.items() if b not in OWN_BOUNDS}
    if not others:
        return ""
    named = ", ".join(f"{s} by the {b}" if b != "unknown" else f"{s} by nothing the harness saw"
                      for s, b in others.items())
    return f"; bound: {named}, so the ratio is not only the stacks'"


@dataclass(frozen=True)
class Point:
    """One step of a failure ramp, as the verdict needs it."""

    load: int  # users, or arrivals per second
    availability: float | None  # successes / what was offered
    at_s: float  # seconds into the ramp when the step started
    errors: str = ""  # the errors by kind, in words
    log_hits: int = 0  # lines of the service's log naming the failure
    bound: str = "service"  # what limited the step (level.py's classification)


NOT_THE_SERVICE = ("generator",)  # a fall there is the tool's: it could not offer the load


def failed_at(points: list[Point], below: float) -> Point | None:
    return next((p for p in points if p.availability is not None and p.availability < below), None)


def failure_verdict(failing: str, fixed: str, points: dict[str, list[Point]], below: float,
                    unit: str) -> Verdict:
    """Steps bound by the load generator are left out on both rungs: there the tool, out of
    CPU, dropped arrivals the service never saw, so a fall says nothing of the service."""
    f_all, x_all = points.get(failing, []), points.get(fixed, [])
    if not f_all:
        return Verdict(UNMEASURED, f"{failing} was not ramped")
    f_points, x_points = _counted(f_all), _counted(x_all)
    left_out = len(f_all) - len(f_points) + len(x_all) - len(x_points)
    caveat = (f" ({left_out} step{'s' if left_out > 1 else ''} bound by the load generator, which "
              f"could not offer the rate, left out)" if left_out else "")
    if not f_points:
        return Verdict(UNMEASURED, f"every step of {failing}'s ramp was bound by the load generator")
    broke = failed_at(f_points, below)
    worst = min((p.availability for p in f_points if p.availability is not None), default=None)
    limit = broke.load if broke else max(p.load for p in f_points)
    held = [p for p in x_points if p.load <= limit]
    fix_ok = bool(held) and all((p.availability or 0) >= AVAILABLE for p in held)
    fix_words = (f"{fixed} kept at least {AVAILABLE:.0%} at the same loads" if fix_ok
                 else f"{fixed} fell to {_lowest(held)} as well" if held
                 else f"{fixed}'s steps were all bound by the load generator" if x_all else f"{fixed} was not ramped")
    if broke:
        what = (f"{failing}'s availability fell to {broke.availability:.0%} at {broke.load} {unit}, "
                f"{broke.at_s:.0f} s into the ramp ({broke.errors or 'no answers'}"
                f"{f'; {broke.log_hits} log lines' if broke.log_hits else ''})")
        return Verdict(HOLDS if fix_ok else DIRECTION, f"{what}; {fix_words}{caveat}")
    if worst is not None and worst < AVAILABLE:
        return Verdict(DIRECTION, f"{failing} degraded to {worst:.0%} availability but never below "
                                  f"{below:.0%} up to {limit} {unit}; {fix_words}{caveat}")
    return Verdict(FAILS, f"{failing} kept {worst:.0%} or more up to {limit} {unit}: "
                          f"no failure within the ramp's bounds{caveat}")


def _counted(points: list[Point]) -> list[Point]:
    return [p for p in points if p.bound not in NOT_THE_SERVICE]


def _lowest(points: list[Point]) -> str:
    values = [p.availability for p in points if p.availability is not None]
    return f"{min(values):.0%}" if values else "no answers"


def combine(verdicts: list[Verdict]) -> Verdict:
    """A protocol's verdict: its worst step's, with every step's reason."""
    if not verdicts:
        return Verdict(UNMEASURED, "nothing was measured")
    worst = max(verdicts, key=lambda v: ORDER.index(v.verdict))
    return Verdict(worst.verdict, "; ".join(dict.fromkeys(v.reason for v in verdicts)))
