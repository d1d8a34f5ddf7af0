"""The order of a sweep's measurements: randomized multiple interleaved trials (Abedi and
Brecht). Every round visits every cell (scenario x load x service) once, in an order drawn from
a seeded generator, so a slow minute of a shared machine lands on random cells instead of on
whichever service happened to run then, and the order can be replayed from the seed."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Visit:
    round: int
    scenario: str
    service: str
    users: int
    rate: float | None = None  # open loop: the target arrival rate


def rounds(services: list[str], scenarios: list[str], levels: list[int], n_rounds: int,
           seed: int) -> list[list[Visit]]:
    """n_rounds shuffles of every closed-loop cell, each from the same seeded generator."""
    rng = random.Random(seed)
    cells = [(scenario, service, users) for scenario in scenarios for service in services for users in levels]
    out = []
    for r in range(1, n_rounds + 1):
        order = cells[:]
        rng.shuffle(order)
        out.append([Visit(r, scenario, service, users) for scenario, service, users in order])
    return out


def open_rounds(targets: dict[tuple[str, str], list[float]], users: int, n_rounds: int,
                seed: int) -> list[list[Visit]]:
    """The same for open-loop cells: {(scenario, service): [rates]} from the closed-loop peaks."""
    rng = random.Random(seed + 1)
    cells = [(scenario, service, rate) for (scenario, service), rates in targets.items() for rate in rates]
    out = []
    for r in range(1, n_rounds + 1):
        order = cells[:]
        rng.shuffle(order)
        out.append([Visit(r, scenario, service, users, rate) for scenario, service, rate in order])
    return out
