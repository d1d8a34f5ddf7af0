"""Estimates from repeated samples: the median over rounds, a 95 % confidence interval for it,
and the coefficient of variation. One sample is not a result: every figure a report compares is
an Estimate, and a difference is significant only when its interval excludes "no difference".

Which interval depends on how many rounds there are, because no distribution-free interval for
a median reaches 95 % below six samples (from three samples, the range from the lowest to the
highest covers the median 75 % of the time):
- from six samples on, the order-statistic interval (scipy.stats.quantile_test), which assumes
  nothing about the distribution;
- below that, a t-interval on the logarithms (scipy.stats.t), a 95 % interval for the median
  when round-to-round noise is log-normal, that is multiplicative, as a slower clock or steal
  time is. A sample that is zero or negative has no logarithm: then the t-interval is taken on
  the values themselves, and kept at or above zero when none of them is negative."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

CONFIDENCE = 0.95
NOISY_CV = 0.10  # a cell whose samples vary more than this is flagged noisy
ORDER = "order-statistic"
T_LOG = "t on logs"
T = "t"


def order_statistic_from(confidence: float = CONFIDENCE) -> int:
    """The fewest samples whose widest order-statistic interval, lowest to highest, covers the
    median with `confidence`: it misses when all fall on one side, 2 x 0.5^n of the time."""
    return math.ceil(math.log2(2 / (1 - confidence)))


ORDER_FROM = order_statistic_from()
METHOD_NOTE = (f"95 % interval: below {ORDER_FROM} rounds a t-interval on the logarithms (round-to-round "
               f"noise taken as multiplicative), from {ORDER_FROM} rounds the distribution-free "
               "order-statistic interval of the median")


@dataclass(frozen=True)
class Estimate:
    median: float | None
    low: float | None  # the interval's bounds; equal to the median for a single sample
    high: float | None
    n: int
    cv: float | None  # standard deviation / mean; None below two samples
    method: str | None = None  # how the interval was computed; None without one

    @property
    def noisy(self) -> bool:
        return self.cv is not None and self.cv > NOISY_CV

    def excludes(self, value: float) -> bool:
        """The interval lies wholly above or below `value` (and has more than one sample)."""
        if self.n < 2 or self.low is None or self.high is None:
            return False
        return self.low > value or self.high < value

    def overlaps(self, other: Estimate) -> bool:
        if None in (self.low, self.high, other.low, other.high):
            return True
        return not (self.high < other.low or other.high < self.low)

    def as_dict(self) -> dict:
        return {"median": self.median, "low": self.low, "high": self.high, "n": self.n, "cv": self.cv,
                "method": self.method}


NONE = Estimate(None, None, None, 0, None)


def estimate(values: Iterable[float | None], confidence: float = CONFIDENCE) -> Estimate:
    """The median of the present values and a `confidence` interval for it (see the module)."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return NONE
    median = statistics.median(present)
    n = len(present)
    if n == 1:
        return Estimate(median, median, median, 1, None)
    mean = statistics.fmean(present)
    cv = statistics.stdev(present) / mean if mean else None
    if math.isclose(min(present), max(present), rel_tol=1e-12):  # equal but for rounding
        return Estimate(median, median, median, n, cv)
    low, high, method = interval(present, confidence)
    return Estimate(median, low, high, n, cv, method)


def interval(values: list[float], confidence: float = CONFIDENCE) -> tuple[float, float, str]:
    """A `confidence` interval for the median of two or more values that are not all equal."""
    import numpy as np  # here, not at the top: scipy takes seconds to import, and the command
    from scipy import stats as scipy_stats  # line (`loadtest --help`) needs neither
    if len(values) >= order_statistic_from(confidence):
        ci = scipy_stats.quantile_test(np.asarray(values), q=statistics.median(values)) \
            .confidence_interval(confidence_level=confidence)
        return float(ci.low), float(ci.high), ORDER
    positive = min(values) > 0
    sample = np.log(values) if positive else np.asarray(values)
    centre, spread = float(np.mean(sample)), float(scipy_stats.sem(sample))
    low, high = scipy_stats.t.interval(confidence, len(values) - 1, loc=centre, scale=spread)
    if positive:
        return math.exp(low), math.exp(high), T_LOG
    if min(values) >= 0:  # a figure that cannot be negative (a count, a share of a core)
        low = max(low, 0.0)
    return float(low), float(high), T
