"""What a run's levels say, computed once and used by every report: cells (one load of one
scenario on one service, measured once per round) with their estimates, each scenario's peak
per service, and the ratios between services taken round by round.

A cell's figures are Estimates (stats.py): the median over rounds and its interval. The peak of
a service on a scenario is the closed-loop cell with the highest median of successful requests/s
among the cells no round of which the load generator bounded; where it bounded every cell, the
highest of those (a floor, which its bound says). A ratio between two cells is computed within
each round (same machine state), then summarised. Sweeps, replays and every exporter ask here:
no other module picks a peak, a median round or a ratio."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from . import stats, variants
from .level import Level
from .scenarios import SCENARIOS
from .stats import Estimate


@dataclass(frozen=True)
class Cell:
    scenario: str
    service: str
    mode: str  # closed | open
    load: int  # users, or the target rate
    levels: tuple[Level, ...]  # one per round, in round order

    @property
    def generator_bound(self) -> bool:
        return any(lv.generator.bound for lv in self.levels)

    @property
    def bound(self) -> str:
        """What limited the cell: the bound most rounds agree on."""
        return Counter(lv.bound for lv in self.levels).most_common(1)[0][0]

    def estimate(self, figure: str) -> Estimate:
        return stats.estimate(FIGURES[figure](lv) for lv in self.levels)

    @property
    def ok_rps(self) -> Estimate:
        return self.estimate("ok_rps")

    def in_round(self, r: int) -> Level | None:
        return next((lv for lv in self.levels if lv.round == r), None)


FIGURES = {
    "ok_rps": lambda lv: lv.ok_rps,
    "p50_ms": lambda lv: lv.latency_ms.p50,
    "p99_ms": lambda lv: lv.latency_ms.p99,
    "cpu_per_request_us": lambda lv: lv.cpu_per_request_us,
    "cpu_percent": lambda lv: lv.service_cpu.percent_of_quota,
    "peak_mib": lambda lv: None if lv.service_memory.peak_bytes is None else lv.service_memory.peak_bytes / 2**20,
    "others_per_request_us": lambda lv: others_per_request_us(lv),
}


def others_per_request_us(lv: Level) -> float | None:
    """Host CPU used outside the benchmark's own processes (the service, the generator, the
    databases) per successful request, in µs: background noise natively; under compose also
    what the engine puts in the path (docker-proxy for a port published on loopback)."""
    other = (lv.host_cpu or {}).get("other_cores")
    if other is None or not lv.ok or not lv.duration_s:
        return None
    return 1e6 * other * lv.duration_s / lv.ok


def closed(levels: Iterable[Level]) -> list[Level]:
    return [lv for lv in levels if lv.mode == "closed"]


def scenario_key(name: str) -> tuple:
    """Scenarios in their registry's order (scenarios/__init__.py); unknown ones after, by name."""
    order = list(SCENARIOS)
    return (order.index(name), "") if name in order else (len(order), name)


def service_key(name: str) -> tuple:
    """Services in their registry's order (the services/ folders, by name), each variant right
    after its service, by the variant's name."""
    base, variant = variants.split(name)
    return (base, variant is not None, variant or "")


def cell_key(c: Cell) -> tuple:
    return (scenario_key(c.scenario), service_key(c.service), c.mode, c.load)


def cells(levels: Iterable[Level]) -> list[Cell]:
    """Every measured cell, in one stable order (scenario, service, mode, load) whatever order
    the run measured them in: two runs of different seeds print the same tables."""
    groups: dict[tuple, list[Level]] = {}
    for lv in levels:
        groups.setdefault((lv.scenario, lv.service, lv.mode, lv.load), []).append(lv)
    found = [Cell(*key, tuple(sorted(group, key=lambda lv: lv.round))) for key, group in groups.items()]
    return sorted(found, key=cell_key)


@dataclass(frozen=True)
class Peak:
    service: str
    scenario: str
    cell: Cell | None  # None: every cell was generator-bound
    bound_cells: int
    cells: int

    @property
    def ok_rps(self) -> Estimate:
        return self.cell.ok_rps if self.cell else stats.NONE

    @property
    def level(self) -> Level | None:
        """The peak cell's median round (for figures that are not estimated)."""
        return median_round(self.cell) if self.cell else None


def median_round(cell: Cell) -> Level:
    """The cell's round of median successful requests/s (the lower one of an even count)."""
    ordered = sorted(cell.levels, key=lambda lv: lv.ok_rps or 0)
    return ordered[(len(ordered) - 1) // 2]


def peak(group: list[Cell]) -> Cell | None:
    """The definition of a peak, over one service's closed-loop cells of one scenario: the best
    median among the cells the generator never bounded, else among the bounded ones (a floor)."""
    usable = [c for c in group if c.mode == "closed" and c.ok_rps.median is not None]
    unbounded = [c for c in usable if not c.generator_bound]
    return max(unbounded or usable, key=lambda c: c.ok_rps.median, default=None)


def peaks(levels: Iterable[Level]) -> dict[tuple[str, str], Peak]:
    """{(scenario, service): Peak}, in the stable order of cells()."""
    groups: dict[tuple[str, str], list[Cell]] = {}
    for c in cells(closed(levels)):
        groups.setdefault((c.scenario, c.service), []).append(c)
    return {key: Peak(key[1], key[0], peak(group), sum(c.generator_bound for c in group), len(group))
            for key, group in groups.items()}


def ratio(peaks_: dict[tuple[str, str], Peak], scenario: str, numerator: str, denominator: str,
          figure: str = "ok_rps") -> Estimate:
    """numerator / denominator of a figure at each one's peak (cell_ratio)."""
    a, b = peaks_.get((scenario, numerator)), peaks_.get((scenario, denominator))
    return cell_ratio(a.cell if a else None, b.cell if b else None, figure)


def cell_ratio(a: Cell | None, b: Cell | None, figure: str = "ok_rps") -> Estimate:
    """a / b of a figure within each round (same machine state), then summarised."""
    if a is None or b is None:
        return stats.NONE
    values = []
    for lv_a in a.levels:
        lv_b = b.in_round(lv_a.round)
        x = FIGURES[figure](lv_a)
        y = FIGURES[figure](lv_b) if lv_b else None
        values.append(x / y if x is not None and y else None)
    return stats.estimate(values)


def stack_comparison(peaks_: dict[tuple[str, str], Peak], scenario: str, a: str, b: str) -> bool:
    """A throughput ratio compares stacks only where both were bound by their own CPU."""
    pa, pb = peaks_.get((scenario, a)), peaks_.get((scenario, b))
    return bool(pa and pb and pa.cell and pb.cell and pa.cell.bound == pb.cell.bound == "service")


def ordered_scenarios(names: Iterable[str]) -> list[str]:
    """Scenario names, each once, in their registry's order."""
    return sorted(set(names), key=scenario_key)


def ordered_services(names: Iterable[str]) -> list[str]:
    """Service names, each once, in their registry's order."""
    return sorted(set(names), key=service_key)


def scenarios_of(levels: Iterable[Level]) -> list[str]:
    """The scenarios measured, in their registry's order."""
    return ordered_scenarios(lv.scenario for lv in levels)


def services_of(levels: Iterable[Level]) -> list[str]:
    """The services measured, in their registry's order."""
    return ordered_services(lv.service for lv in levels)
