"""What a run's levels say, computed once and used by every report: cells (one load of one
scenario on one service, measured once or more per round) with their estimates, each service's
figure on each scenario over its plateau, and the ratios between services. Sweeps, replays and
every exporter ask here: no other module estimates a service's figure or takes a ratio.

The figure rule. A service's figure on a scenario (successful requests/s, CPU per request, ...)
is estimated over its PLATEAU, fixed in advance: its closed-loop levels from PLATEAU_FROM_USERS
users on (where a service is saturated, throughput no longer depends on the users), or its
highest level when it measured none that high. Cells the load generator bounded in any round are
left out while others remain; where it bounded every plateau cell, those cells are kept and the
figure is a floor. Per round, the plateau's levels are pooled by their geometric mean; the
figure is the geometric mean of those per-round values, with stats.estimate's t-interval on
their logarithms: the ROUND is the unit of the interval. The cell of best throughput is kept as
a description ("best at 50 users"), never as the figure: the best of several noisy replicates is
biased upward.

The ratio rule. A ratio A/B is estimated per round, then over rounds (stats.ratio): within a
round, when A and B have plateau levels sharing a `block` (an A B B A block of adjacent visits),
the ratio is taken within each block (mean logarithm of A's levels in it minus mean of B's) and
those are averaged; otherwise it is the ratio of the two per-round geometric means over the
loads both measured in that round (each one's own plateau when they share none)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..core import stats
from ..core.stats import Estimate
from ..records.level import Level
from ..scenarios import SCENARIOS
from ..servers import variants

PLATEAU_FROM_USERS = 50  # the plateau: closed-loop levels from this many users on
PLATEAU_NOTE = (f"figure = over the plateau (every level from {PLATEAU_FROM_USERS} users on, or the highest "
                "level below; cells the load generator bounded left out unless all were: then a floor), "
                "geometric mean per round, then over rounds; ratios per round, then over rounds: within A B "
                "B A blocks, from the blocked rounds alone where the two were measured in blocks")

Figure = str | Callable[[Level], float | None]


@dataclass(frozen=True)
class Cell:
    scenario: str
    service: str
    mode: str  # closed | open
    load: int  # users, or the target rate
    levels: tuple[Level, ...]  # in round order; a blocked comparison visits a cell more than once a round

    @property
    def generator_bound(self) -> bool:
        return any(lv.generator.bound for lv in self.levels)

    @property
    def bound(self) -> str:
        """What limited the cell: the bound most rounds agree on."""
        return majority_bound(self.levels)

    def estimate(self, figure: Figure) -> Estimate:
        """Over rounds (stats.estimate), a round's levels pooled first (stats.mean)."""
        return stats.estimate(per_round(self.levels, figure).values())

    @property
    def ok_rps(self) -> Estimate:
        return self.estimate("ok_rps")

    def in_round(self, r: int) -> list[Level]:
        return [lv for lv in self.levels if lv.round == r]


FIGURES: dict[str, Callable[[Level], float | None]] = {
    "ok_rps": lambda lv: lv.ok_rps,
    "p50_ms": lambda lv: lv.latency_ms.p50,
    "p99_ms": lambda lv: lv.latency_ms.p99,
    "cpu_per_request_us": lambda lv: lv.cpu_per_request_us,
    "user_per_request_us": lambda lv: _per_request_us(lv.service_cpu.user_s, lv),
    "system_per_request_us": lambda lv: _per_request_us(lv.service_cpu.system_s, lv),
    "cpu_percent": lambda lv: lv.service_cpu.percent_of_quota,
    "peak_mib": lambda lv: None if lv.service_memory.peak_bytes is None else lv.service_memory.peak_bytes / 2**20,
    "others_per_request_us": lambda lv: others_per_request_us(lv),
}


def _per_request_us(seconds: float | None, lv: Level) -> float | None:
    return None if seconds is None or not lv.ok else 1e6 * seconds / lv.ok


def value_of(figure: Figure) -> Callable[[Level], float | None]:
    return FIGURES[figure] if isinstance(figure, str) else figure


def per_round(levels: Iterable[Level], figure: Figure) -> dict[int, float]:
    """{round: the round's levels pooled (stats.mean)}, rounds in order, those with no value left out."""
    value = value_of(figure)
    rounds: dict[int, list[float]] = {}
    for lv in levels:
        v = value(lv)
        if v is not None:
            rounds.setdefault(lv.round, []).append(v)
    return {r: stats.mean(vs) for r, vs in sorted(rounds.items())}


def majority_bound(levels: Iterable[Level]) -> str:
    found = Counter(lv.bound for lv in levels).most_common(1)
    return found[0][0] if found else "unknown"


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
class Plateau:
    """A service's figure on a scenario: its plateau cells and what they estimate."""

    service: str
    scenario: str
    cells: tuple[Cell, ...]  # the plateau (see the module); empty when nothing was measured
    bound_cells: int  # cells of the service on the scenario the generator bounded, plateau or not
    all_cells: int
    from_users: int = PLATEAU_FROM_USERS

    @property
    def levels(self) -> list[Level]:
        return [lv for c in self.cells for lv in c.levels]

    @property
    def loads(self) -> list[int]:
        return [c.load for c in self.cells]

    @property
    def floor(self) -> bool:
        """The load generator bounded every plateau cell: the figure is a floor."""
        return bool(self.cells) and all(c.generator_bound for c in self.cells)

    @property
    def bound(self) -> str:
        """What limited the plateau: the bound most of its levels agree on."""
        return majority_bound(self.levels)

    def per_round(self, figure: Figure, loads: Iterable[int] | None = None) -> dict[int, float]:
        """{round: the plateau's levels in it pooled}; `loads`: only those of the plateau's loads."""
        keep = None if loads is None else set(loads)
        return per_round((lv for lv in self.levels if keep is None or lv.load in keep), figure)

    def estimate(self, figure: Figure, loads: Iterable[int] | None = None) -> Estimate:
        """THE figure rule: the plateau's levels pooled per round, then estimated over rounds."""
        return stats.estimate(self.per_round(figure, loads).values())

    @property
    def ok_rps(self) -> Estimate:
        return self.estimate("ok_rps")

    @property
    def best(self) -> Cell | None:
        """The plateau cell of best throughput: a description ("best at N users"), not the figure."""
        return max(self.cells, key=lambda c: c.ok_rps.value or 0, default=None)

    @property
    def users(self) -> str:
        """The plateau's loads in words: "50-100", "50"."""
        loads = self.loads
        if not loads:
            return "–"
        return str(loads[0]) if len(loads) == 1 else f"{min(loads)}-{max(loads)}"


def plateau_cells(group: list[Cell], from_users: int = PLATEAU_FROM_USERS) -> tuple[Cell, ...]:
    """The plateau of one service's cells of one scenario (see the module), in load order."""
    usable = sorted((c for c in group if c.mode == "closed" and any(lv.ok_rps is not None for lv in c.levels)),
                    key=lambda c: c.load)
    high = [c for c in usable if c.load >= from_users] or usable[-1:]
    unbounded = [c for c in high if not c.generator_bound]
    return tuple(unbounded or high)


def plateaus(levels: Iterable[Level], from_users: int = PLATEAU_FROM_USERS) -> dict[tuple[str, str], Plateau]:
    """{(scenario, service): Plateau}, in the stable order of cells()."""
    groups: dict[tuple[str, str], list[Cell]] = {}
    for c in cells(closed(levels)):
        groups.setdefault((c.scenario, c.service), []).append(c)
    return {key: Plateau(key[1], key[0], plateau_cells(group, from_users), sum(c.generator_bound for c in group),
                         len(group), from_users)
            for key, group in groups.items()}




def ratio(plateaus_: dict[tuple[str, str], Plateau], scenario: str, numerator: str, denominator: str,
          figure: Figure = "ok_rps") -> Estimate:
    """numerator / denominator of a figure over their plateaus (plateau_ratio)."""
    a, b = plateaus_.get((scenario, numerator)), plateaus_.get((scenario, denominator))
    return plateau_ratio(a, b, figure) if a and b else stats.NONE


def plateau_ratio(a: Plateau, b: Plateau, figure: Figure = "ok_rps") -> Estimate:
    """THE ratio rule (see the module): a / b per round, then stats.ratio over rounds."""
    return stats.ratio(round_ratios(a, b, figure))


def round_ratios(a: Plateau, b: Plateau, figure: Figure = "ok_rps") -> list[float]:
    """a / b in each round both measured, within their blocks. Where the two were measured in
    blocks (a sweep's headline part), only those rounds count: the blocks are the design made
    for this ratio, and rounds of another design (the curve's, at other loads) would mix in
    what changes with the load."""
    la, lb = _logs_by_round(a.levels, figure), _logs_by_round(b.levels, figure)
    rounds = sorted(la.keys() & lb.keys())
    blocked = [r for r in rounds if _blocks(la[r]) & _blocks(lb[r])]
    logs = (_round_log_ratio(la[r], lb[r]) for r in blocked or rounds)
    return [math.exp(d) for d in logs if d is not None]


def _blocks(xs: list[tuple]) -> set[int]:
    return {k for k, _, _ in xs if k is not None}


def ratio_change(a: list[float], b: list[float]) -> Estimate:
    """One ratio measured in two runs (each's round_ratios): B / A with its Welch interval
    and p-value (stats.change). Its interval holding 1 is the two runs agreeing."""
    return stats.change(a, b)


def _logs_by_round(levels: list[Level], figure: Figure) -> dict[int, list[tuple[int | None, int, float]]]:
    """{round: [(block, load, log of the figure)]} of the levels with a positive figure."""
    value = value_of(figure)
    out: dict[int, list[tuple[int | None, int, float]]] = {}
    for lv in levels:
        v = value(lv)
        if v is not None and v > 0:
            out.setdefault(lv.round, []).append((lv.block, lv.load, math.log(v)))
    return out


def _round_log_ratio(a: list[tuple], b: list[tuple]) -> float | None:
    """log(a / b) within one round: by block where both have levels in the same ones, else
    over the loads both measured (each side's all when they share none)."""
    blocks = sorted(_blocks(a) & _blocks(b))
    if blocks:
        return statistics.fmean(_mean_log(a, k) - _mean_log(b, k) for k in blocks)
    loads = {x[1] for x in a} & {x[1] for x in b}
    if loads:
        a, b = [x for x in a if x[1] in loads], [x for x in b if x[1] in loads]
    return _mean_log(a) - _mean_log(b)


def _mean_log(xs: list[tuple], block: int | None = None) -> float:
    return statistics.fmean(x[2] for x in xs if block is None or x[0] == block)


def change(a: Plateau, b: Plateau, figure: Figure = "ok_rps") -> tuple[Estimate, Estimate, Estimate]:
    """One figure of one service in two runs: (A's estimate, B's, B / A with its Welch interval
    and p-value, stats.change), all over the plateau loads both runs share (each one's whole
    plateau when they share none), the round the unit in each run."""
    shared = sorted(set(a.loads) & set(b.loads)) or None
    ra, rb = a.per_round(figure, shared), b.per_round(figure, shared)
    return stats.estimate(ra.values()), stats.estimate(rb.values()), stats.change(ra.values(), rb.values())


def cell_change(a: Cell, b: Cell, figure: Figure = "ok_rps") -> Estimate:
    """B / A of one cell in two runs, the round the unit (stats.change)."""
    return stats.change(per_round(a.levels, figure).values(), per_round(b.levels, figure).values())


def stack_comparison(plateaus_: dict[tuple[str, str], Plateau], scenario: str, a: str, b: str) -> bool:
    """A throughput ratio compares stacks only where both were bound by their own CPU."""
    pa, pb = plateaus_.get((scenario, a)), plateaus_.get((scenario, b))
    return bool(pa and pb and pa.cells and pb.cells and pa.bound == pb.bound == "service")


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
