"""How every figure is written, in reports and in verdict sentences alike: thousands
separated, an estimate as its value and 95 % interval, a ratio with the decimals that tell a
significant one apart from 1. Rules (reproduce/verdict.py) and exporters (report/) both use
these, so neither imports from the other."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: stats brings scipy, seconds to import
    from .stats import Estimate


def fmt(value, digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{suffix}"


def fmt_estimate(e: Estimate, digits: int = 0, suffix: str = "") -> str:
    """The estimate, and its interval when it has one: 4,210 [4,100–4,300]; alone below 3 rounds."""
    if e.value is None:
        return "–"
    if not e.has_interval:
        return fmt(e.value, digits, suffix)
    noisy = " ~" if e.noisy else ""
    return f"{fmt(e.value, digits)} [{fmt(e.low, digits)}–{fmt(e.high, digits)}]{suffix}{noisy}"


def ratio_digits(e: Estimate) -> int:
    """Two decimals, or up to four where two would print a significant interval as touching 1
    (1.003 [1.001–1.004]x, never 1.00 [1.00–1.00]x called significant)."""
    digits = 2
    while digits < 4 and e.excludes(1.0) and fmt(1.0, digits) in (fmt(e.low, digits), fmt(e.high, digits)):
        digits += 1
    return digits


def fmt_ratio(e: Estimate) -> str:
    return fmt_estimate(e, ratio_digits(e), "x")
