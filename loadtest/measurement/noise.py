"""The host's noise per level, from the pre-flight probe (headline.toml's [probe]), and the
precision it predicts for the headline ratios.

The noise between levels here is multiplicative (a slower vCPU, steal), so it is the standard
deviation of the logarithms of the probe's successful requests/s. A headline ratio is taken
within a block where each of its two services is visited twice, so its logarithm per block has
a variance of about sd² (a slow phase shared by the block cancels); over n rounds the 95 %
interval of a t on the logarithms has a half-width of t(n-1) x sd / sqrt(n)."""

from __future__ import annotations

import math
import statistics

from scipy import stats as scipy_stats


def log_sd(values: list[float]) -> float | None:
    """The sd of the logarithms of positive values; None below two."""
    logs = [math.log(v) for v in values if v and v > 0]
    return statistics.stdev(logs) if len(logs) >= 2 else None


def ratio_half_width(sd: float, rounds: int) -> float | None:
    """The expected half-width of a headline ratio's 95 % interval, as a fraction (0.05: ±5 %)."""
    if rounds < 3:
        return None
    return math.exp(scipy_stats.t.ppf(0.975, rounds - 1) * sd / math.sqrt(rounds)) - 1


def verdict(sd: float, quiet_sd: float, rounds: int) -> str:
    """One line for the plan: the noise, the precision it predicts, and whether the host is quiet."""
    width = ratio_half_width(sd, rounds)
    expect = f"headline ratios within about ±{100 * width:.0f} %" if width is not None else "no interval below 3 rounds"
    if sd <= quiet_sd:
        return f"noise {100 * sd:.1f} % per level (quiet host): {expect}"
    return (f"noise {100 * sd:.1f} % per level, above the {100 * quiet_sd:g} % of a quiet host: {expect}; "
            "a noisier host gives wider intervals, not wrong ones")
