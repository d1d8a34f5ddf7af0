"""Each run's figures over the plateaus (analysis.plateaus) in registry order, with the errors of
the cells around them: computed here once for summary.compute and the sweep's closing table,
which only format them."""

from __future__ import annotations

from .. import analysis
from ..records.level import Level


def plateaus_and_errors(levels: list[Level]) -> tuple[dict[tuple[str, str], analysis.Plateau],
                                                      dict[tuple[str, str], int]]:
    """({(scenario, service): Plateau} in registry order, {(scenario, service): errors over all of
    the service's closed-loop levels of the scenario})."""
    plateaus = analysis.plateaus(levels)
    errors: dict[tuple[str, str], int] = {}
    for lv in analysis.closed(levels):
        errors[(lv.scenario, lv.service)] = errors.get((lv.scenario, lv.service), 0) + lv.errors.total
    return plateaus, errors
