"""What a run's levels say, computed once: the peak of each scenario per service, and the
ratios between services. The end-of-sweep table, report.md, report.html, `compare` and
`summary` all use these definitions."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from .level import Level


@dataclass(frozen=True)
class Peak:
    """A service's peak on a scenario: the closed-loop level with the most successful
    requests/s among the levels the load generator did not bound (there the generator, not
    the service, was the limit). `bound_levels` counts the levels left out for that reason."""

    service: str
    scenario: str
    level: Level | None  # None: every level was generator-bound
    bound_levels: int
    levels: int

    @property
    def ok_rps(self) -> float | None:
        return self.level.ok_rps if self.level else None


def closed(levels: Iterable[Level]) -> list[Level]:
    return [lv for lv in levels if lv.mode == "closed"]


def peak(levels: Iterable[Level]) -> Level | None:
    """The definition of a peak, over one service's levels of one scenario."""
    usable = [lv for lv in closed(levels) if not lv.generator.bound and lv.ok_rps is not None]
    return max(usable, key=lambda lv: lv.ok_rps, default=None)


def peaks(levels: Iterable[Level]) -> dict[tuple[str, str], Peak]:
    """{(scenario, service): Peak}, in the order the levels were measured."""
    groups: dict[tuple[str, str], list[Level]] = {}
    for lv in closed(levels):
        groups.setdefault((lv.scenario, lv.service), []).append(lv)
    return {(scenario, service): Peak(service, scenario, peak(group),
                                      sum(lv.generator.bound for lv in group), len(group))
            for (scenario, service), group in groups.items()}


def ratio(peaks_: dict[tuple[str, str], Peak], scenario: str, numerator: str,
          denominator: str) -> float | None:
    """numerator's peak / denominator's peak on one scenario, within one run."""
    a, b = peaks_.get((scenario, numerator)), peaks_.get((scenario, denominator))
    if not a or not b or not a.ok_rps or not b.ok_rps:
        return None
    return a.ok_rps / b.ok_rps


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def scenarios_of(levels: Iterable[Level]) -> list[str]:
    return list(dict.fromkeys(lv.scenario for lv in levels))


def services_of(levels: Iterable[Level]) -> list[str]:
    return list(dict.fromkeys(lv.service for lv in levels))
