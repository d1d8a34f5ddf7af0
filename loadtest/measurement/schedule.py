"""The order of a run's measurements: randomized multiple interleaved trials (Abedi and
Brecht). Every round visits every cell once, in an order drawn from a seeded generator, so a
slow minute of a shared machine lands on random cells instead of on whichever service happened
to run then, and the order can be replayed from the seed. The one shuffle of the harness:
sweeps (closed and open loop) and the write-up replays all draw their orders here.

A headline comparison is measured in blocks instead (blocked_rounds): its services one after
the other and then in reverse order (A B B A for two; A B C C B A for three), so that the
two sides of a ratio are seconds apart, and a drift within the block weighs on both alike."""

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


def shuffled(cells: list[Visit], n_rounds: int, seed: int, first_round: int = 1) -> list[list[Visit]]:
    """n_rounds orders of every cell (a Visit whose round is ignored), each a shuffle drawn in
    turn from one generator seeded with `seed`; rounds numbered from first_round."""
    rng = random.Random(seed)
    out = []
    for r in range(first_round, first_round + n_rounds):
        order = cells[:]
        rng.shuffle(order)
        out.append([dataclasses.replace(cell, round=r) for cell in order])
    return out


def rounds(services: list[str], scenarios: list[str], levels: list[int], n_rounds: int,
           seed: int, first_round: int = 1) -> list[list[Visit]]:
    """A sweep's closed-loop rounds: every (scenario, service, users)."""
    cells = [Visit(0, scenario, service, users) for scenario in scenarios for service in services
             for users in levels]
    return shuffled(cells, n_rounds, seed, first_round)


def blocked_rounds(groups: dict[str, list[str]], users: int, n_rounds: int, seed: int,
                   rounds_of: dict[str, list[int]] | None = None) -> list[list[Visit]]:
    """The headline part's rounds: per round, one block per scenario of `groups` ({scenario:
    services}) that `rounds_of` ({scenario: its rounds}; every round if absent) puts in it; each
    block visits its services in a shuffled order, then in the reverse order. The blocks of a
    round come in a shuffled order too; every block of the run has its own number. Drawn from
    seed + 2, so the other parts' orders stay as they were."""
    rng = random.Random(seed + 2)
    out, block = [], 0
    for r in range(1, n_rounds + 1):
        scenarios = sorted(s for s in groups if rounds_of is None or r in rounds_of.get(s, ()))
        rng.shuffle(scenarios)
        visits = []
        for scenario in scenarios:
            block += 1
            order = groups[scenario][:]
            rng.shuffle(order)
            visits += [Visit(r, scenario, service, users, block=block) for service in [*order, *reversed(order)]]
        out.append(visits)
    return out


def open_rounds(targets: dict[tuple[str, str], list[float]], users: int, n_rounds: int,
                seed: int, first_round: int = 1) -> list[list[Visit]]:
    """A sweep's open-loop rounds: {(scenario, service): [rates]} from the closed-loop peaks,
    drawn from the next seed, so adding them leaves the closed-loop order as it was."""
    cells = [Visit(0, scenario, service, users, rate) for (scenario, service), rates in targets.items()
             for rate in rates]
    return shuffled(cells, n_rounds, seed + 1, first_round)
