"""Estimates from repeated samples: the median over rounds with a bootstrap confidence interval
(scipy.stats.bootstrap, percentile method, seeded so a report is reproducible), and the
coefficient of variation. One sample is not a result: every figure a report compares is an
Estimate, and a difference is significant only when its interval excludes "no difference"."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
NOISY_CV = 0.10  # a cell whose samples vary more than this is flagged noisy
RESAMPLES = 9_999
SEED = 20261201


@dataclass(frozen=True)
class Estimate:
    median: float | None
    low: float | None  # the interval's bounds; equal to the median for a single sample
    high: float | None
    n: int
    cv: float | None  # standard deviation / mean; None below two samples

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
        return {"median": self.median, "low": self.low, "high": self.high, "n": self.n, "cv": self.cv}


NONE = Estimate(None, None, None, 0, None)


def estimate(values: Iterable[float | None], confidence: float = CONFIDENCE, seed: int = SEED) -> Estimate:
    """Median and a percentile-bootstrap interval of the median of the present values."""
    present = [float(v) for v in values if v is not None]
    if not present:
        return NONE
    median = statistics.median(present)
    if len(present) == 1:
        return Estimate(median, median, median, 1, None)
    mean = statistics.fmean(present)
    cv = statistics.stdev(present) / mean if mean else None
    if min(present) == max(present):
        return Estimate(median, median, median, len(present), cv)
    with warnings.catch_warnings():  # few samples: scipy warns that the interval is coarse
        warnings.simplefilter("ignore")
        ci = scipy_stats.bootstrap((np.asarray(present),), np.median, confidence_level=confidence,
                                   n_resamples=RESAMPLES, method="percentile",
                                   random_state=np.random.default_rng(seed)).confidence_interval
    return Estimate(median, float(ci.low), float(ci.high), len(present), cv)
