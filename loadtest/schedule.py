"""The order of a run's measurements: randomized multiple interleaved trials (Abedi and
Brecht). Every round visits every cell once, in an order drawn from a seeded generator, so a
slow minute of a shared machine lands on random cells instead of on whichever service happened
to run then, and the order can be replayed from the seed. The one shuffle of the harness:
sweeps (closed and open loop) and the write-up replays all draw their orders here."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Visit:
    round: int
    scenario: str
    service: str
    users: int
    rate: float | None = None  # open loop: the target arrival rate
    step: str | None = None  # a write-up replay's step (loadtest/reproduce), None in a sweep
    block: int | None = None  # visits of one A B B A block share it (a blocked comparison)


def shuffled(cells: list[Visit], n_rounds: int, seed: int) -> list[list[Visit]]:
    """n_rounds orders of every cell (a Visit whose round is ignored), each a shuffle drawn in
    turn from one generator seeded with `seed`."""
    rng = random.Random(seed)
    out = []
    for r in range(1, n_rounds + 1):
        order = cells[:]
        rng.shuffle(order)
        out.append([dataclasses.replace(cell, round=r) for cell in order])
    return out


def rounds(services: list[str], scenarios: list[str], levels: list[int], n_rounds: int,
           seed: int) -> list[list[Visit]]:
    """A sweep's closed-loop rounds: every (scenario, service, users)."""
    cells = [Visit(0, scenario, service, users) for scenario in scenarios for service in services
             for users in levels]
    return shuffled(cells, n_rounds, seed)


def open_rounds(targets: dict[tuple[str, str], list[float]], users: int, n_rounds: int,
                seed: int) -> list[list[Visit]]:
    """A sweep's open-loop rounds: {(scenario, service): [rates]} from the closed-loop peaks,
    drawn from the next seed, so adding them leaves the closed-loop order as it was."""
    cells = [Visit(0, scenario, service, users, rate) for (scenario, service), rates in targets.items()
             for rate in rates]
    return shuffled(cells, n_rounds, seed + 1)
