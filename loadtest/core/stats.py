"""Estimates from repeated rounds, one rule for every figure. The rounds are the samples: a
figure is their geometric mean, with a 95 % interval from Student's t on their logarithms
(n - 1 degrees of freedom), centred on that geometric mean. Round-to-round noise on these
machines is multiplicative (a slower clock, steal time, a slow minute of the host): its
logarithm is close to normal, so the interval holds its level at any number of rounds.

Below INTERVAL_FROM rounds there is no interval: from two samples a t-interval has one degree of
freedom and spans orders of magnitude, which is not information. The estimate is then given
alone, and says so (NO_INTERVAL).

A sample that is zero or negative has no logarithm: the figure is then the arithmetic mean,
with the t-interval on the values themselves (kept at or above zero when none is negative).

Comparisons come from the same rule: ratio() is the estimate of per-round ratios with its
p-value against "no difference" (1); change() is the ratio of two runs' estimates, a two-sample
Welch t on their per-round logarithms; holm() corrects p-values for the number of comparisons
made (Holm's step-down method). A difference is significant when its Holm-adjusted p-value is
below 1 - CONFIDENCE."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

CONFIDENCE = 0.95
ALPHA = round(1 - CONFIDENCE, 12)  # 0.05, not 0.050000000000000044
NOISY_CV = 0.10  # a figure whose rounds vary more than this is flagged noisy
INTERVAL_FROM = 3  # rounds: below this, no interval
T_LOG = "t on logs"
T = "t"
WELCH_LOG = "Welch t on logs"
NO_INTERVAL = f"no interval below {INTERVAL_FROM} rounds"
HOLM = "Holm"
METHOD_NOTE = (f"estimate = geometric mean over rounds; 95 % interval = Student's t on the logarithms of "
               f"the rounds (a round is one sample), centred on the geometric mean; {NO_INTERVAL}")


@dataclass(frozen=True)
class Estimate:
    value: float | None  # the geometric mean over rounds (arithmetic where a sample is not positive)
    low: float | None  # the interval's bounds; None without an interval (below INTERVAL_FROM rounds)
    high: float | None
    n: int  # rounds
    cv: float | None  # standard deviation / mean over rounds; None below two rounds
    method: str | None = None  # how the interval was computed, or NO_INTERVAL; None without a value
    p: float | None = None  # a comparison's: two-sided p-value against no difference (1), uncorrected

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None

    @property
    def noisy(self) -> bool:
        return self.cv is not None and self.cv > NOISY_CV

    def excludes(self, value: float) -> bool:
        """The interval lies wholly above or below `value` (False without an interval)."""
        return self.has_interval and (self.low > value or self.high < value)

    def as_dict(self) -> dict:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n, "cv": self.cv,
                "method": self.method, "p": self.p}


NONE = Estimate(None, None, None, 0, None)


def mean(values: Iterable[float]) -> float | None:
    """Several samples of one round pooled as the estimate pools rounds: their geometric mean,
    or their arithmetic mean when one is not positive; None for none."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return None
    if min(present) > 0:
        return math.exp(statistics.fmean(math.log(v) for v in present))
    return statistics.fmean(present)


def estimate(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Estimate:
    """One value per round (None: not measured) -> their geometric mean and its t-interval on
    the logarithms (see the module)."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return NONE
    n, positive = len(present), min(present) > 0
    sample = [math.log(v) for v in present] if positive else present
    centre = statistics.fmean(sample)
    value = math.exp(centre) if positive else centre
    average = statistics.fmean(present)
    cv = statistics.stdev(present) / average if n > 1 and average else None
    if n < INTERVAL_FROM:
        return Estimate(value, None, None, n, cv, NO_INTERVAL)
    spread = statistics.stdev(sample) / math.sqrt(n)
    half = _t_quantile(confidence, n - 1) * spread
    if positive:
        return Estimate(value, math.exp(centre - half), math.exp(centre + half), n, cv, T_LOG)
    low = max(centre - half, 0.0) if min(present) >= 0 else centre - half
    return Estimate(value, low, centre + half, n, cv, T)


def ratio(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Estimate:
    """Per-round ratios (positive) -> their estimate, with the p-value of a t-test of their
    logarithms against 0 (a ratio of 1)."""
    present = [float(v) for v in values if v is not None and v > 0]
    e = estimate(present, confidence)
    if e.n < INTERVAL_FROM:
        return e
    logs = [math.log(v) for v in present]
    return _with_p(e, statistics.fmean(logs), statistics.stdev(logs) / math.sqrt(len(logs)), len(logs) - 1)


def change(a: Iterable[float | None], b: Iterable[float | None], confidence: float = CONFIDENCE) -> Estimate:
    """B / A of two independent sets of per-round values (positive): the ratio of their
    estimates, with a two-sample Welch t-interval and p-value on the logarithms. n is the
    fewer rounds of the two; no interval when either has fewer than INTERVAL_FROM."""
    la = [math.log(v) for v in a if v is not None and v > 0]
    lb = [math.log(v) for v in b if v is not None and v > 0]
    if not la or not lb:
        return NONE
    diff = statistics.fmean(lb) - statistics.fmean(la)
    n = min(len(la), len(lb))
    cv = None
    if n < INTERVAL_FROM:
        return Estimate(math.exp(diff), None, None, n, cv, NO_INTERVAL)
    va, vb = statistics.variance(la) / len(la), statistics.variance(lb) / len(lb)
    spread = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(la) - 1) + vb ** 2 / (len(lb) - 1)) if spread else len(la) + len(lb) - 2
    half = _t_quantile(confidence, df) * spread
    e = Estimate(math.exp(diff), math.exp(diff - half), math.exp(diff + half), n, cv, WELCH_LOG)
    return _with_p(e, diff, spread, df)


def holm(ps: list[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of p-values (None: not tested, not counted): the k-th
    smallest of m is multiplied by m - k + 1, kept non-decreasing and at most 1. A
    comparison is significant when its adjusted p-value is below ALPHA; the chance of any
    false positive among the m is then at most ALPHA."""
    tested = sorted((p, i) for i, p in enumerate(ps) if p is not None)
    out: list[float | None] = [None] * len(ps)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        out[i] = running
    return out


def significant(adjusted_p: float | None) -> bool | None:
    """The one significance rule: a Holm-adjusted p-value below ALPHA; None when not tested."""
    return None if adjusted_p is None else adjusted_p < ALPHA


def _with_p(e: Estimate, centre: float, spread: float, df: float) -> Estimate:
    # scipy is imported here, not at the top: it takes seconds, and `loadtest --help` needs none.
    # Student's t from its special functions (what scipy.stats.t calls, without its overhead).
    from scipy.special import stdtr
    p = (1.0 if centre == 0 else 0.0) if spread == 0 else float(2 * stdtr(df, -abs(centre) / spread))
    return Estimate(e.value, e.low, e.high, e.n, e.cv, e.method, p)


def _t_quantile(confidence: float, df: float) -> float:
    from scipy.special import stdtrit
    return float(stdtrit(df, (1 + confidence) / 2))
