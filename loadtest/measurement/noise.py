"""The host's noise per visit, from the pre-flight probe (headline.toml's [probe]), the precision
it predicts for the headline ratios, and the precision the run then holds them to.

The noise between visits here is multiplicative (a slower vCPU, steal, a neighbour on the
physical core), so it is the standard deviation of the logarithms of the successful requests/s.
The probe visits two services in turn; each one's visits vary around its own level, so the
noise is their spread pooled (the within-service sd). Visits of one cell seconds apart vary
about as much as visits minutes apart (the reference runs: within a block 5 to 13 %, between
blocks the same), so a ratio's logarithm per block, A and B each visited twice, has a variance
of about sd²/2 + sd²/2 = sd²; over n blocks the 95 % interval of a t on the logarithms has a
half-width of t(n-1) x sd / sqrt(n)."""

from __future__ import annotations

import math
import statistics

from scipy import stats as scipy_stats

QUIET_TARGET = 0.05  # the half-width a headline ratio's interval is held to on a quiet host
NOISY_TARGET = 0.10  # and on a noisier one, which the run names


def log_sd(values: list[float]) -> float | None:
    """The sd of the logarithms of positive values; None below two."""
    return pooled_log_sd({"": values})


def pooled_log_sd(groups: dict[str, list[float]]) -> float | None:
    """The within-group sd of the logarithms, pooled over groups (each around its own mean):
    sqrt(sum of squared deviations / (values - groups)). None without two values in a group."""
    squares, df = 0.0, 0
    for values in groups.values():
        logs = [math.log(v) for v in values if v and v > 0]
        if len(logs) >= 2:
            mean = statistics.fmean(logs)
            squares += sum((x - mean) ** 2 for x in logs)
            df += len(logs) - 1
    return math.sqrt(squares / df) if df else None


def ratio_half_width(sd: float, blocks: int) -> float | None:
    """The expected half-width of a headline ratio's 95 % interval over `blocks` blocks, as a
    fraction (0.05: ±5 %)."""
    if blocks < 3:
        return None
    return math.exp(scipy_stats.t.ppf(0.975, blocks - 1) * sd / math.sqrt(blocks)) - 1


def target(sd: float | None, quiet_sd: float) -> float:
    """The half-width the headline ratios are held to: ±5 % on a quiet host, ±10 % on a noisier
    one (or with no probe to say)."""
    return QUIET_TARGET if sd is not None and sd <= quiet_sd else NOISY_TARGET


def expected(sd: float, blocks: dict[str, int]) -> dict[str, float | None]:
    """{scenario: the expected half-width of its ratios} for {scenario: its blocks}."""
    return {scenario: ratio_half_width(sd, n) for scenario, n in blocks.items()}


def verdict(sd: float, quiet_sd: float, blocks: dict[str, int]) -> str:
    """One line for the plan: the noise, the precision it predicts, the target it sets."""
    widths = [w for w in expected(sd, blocks).values() if w is not None]
    expect = (f"headline ratios within about ±{100 * min(widths):.0f} to ±{100 * max(widths):.0f} %"
              if widths else "no interval below 3 blocks")
    goal = f"target ±{100 * target(sd, quiet_sd):.0f} %"
    if sd <= quiet_sd:
        return f"noise {100 * sd:.1f} % per visit (quiet host): {expect}; {goal}"
    return (f"noise {100 * sd:.1f} % per visit, above the {100 * quiet_sd:g} % of a quiet host (a noisy host): "
            f"{expect}; {goal}; a noisier host gives wider intervals, not wrong ones")
