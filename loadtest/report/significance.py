"""The one significance rule of `summary` and `compare`: each comparison's p-value (stats.ratio
within a run, stats.change between runs) adjusted by Holm's method across every comparison the
output makes, and called significant below 5 % (stats.significant). Its words live here."""

from __future__ import annotations

from ..core import stats
from ..core.stats import Estimate

SIGNIFICANT, NOT_SIGNIFICANT = "significant", "not significant"
MARKS_NOTE = f"yes = significant, no = not, - = not tested ({stats.NO_INTERVAL})"


def adjust(comparisons: list[Estimate]) -> list[float | None]:
    """Holm-adjusted p-values, one per comparison (None where it was not tested)."""
    return stats.holm([e.p for e in comparisons])


def words(e: Estimate, adjusted_p: float | None) -> str:
    if e.value is None:
        return "–"
    found = stats.significant(adjusted_p)
    return stats.NO_INTERVAL if found is None else SIGNIFICANT if found else NOT_SIGNIFICANT


def mark(e: Estimate, adjusted_p: float | None) -> str:
    return {SIGNIFICANT: "yes", NOT_SIGNIFICANT: "no"}.get(words(e, adjusted_p), "-")


def note(comparisons: int) -> str:
    if not comparisons:
        return f"No comparison is tested here: {stats.NO_INTERVAL}"
    return (f"Significant = p < {stats.ALPHA:.2g} after {stats.HOLM}'s correction across the {comparisons} "
            f"comparisons made here (Holm's step-down method); each interval is a plain 95 % interval "
            "of its own comparison")
