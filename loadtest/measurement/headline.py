"""The headline comparisons (headline.toml): which services a sweep's headline part measures
side by side in blocks, per scenario, at which load, and in how many of its rounds. Read here
only; the schedule turns them into blocks, the analysis takes their ratios within each block."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import UsageError

PATH = Path(__file__).parents[1] / "headline.toml"


@dataclass(frozen=True)
class Comparison:
    numerator: str  # the ratio is numerator / denominator
    denominator: str
    scenario: str


@dataclass(frozen=True)
class Probe:
    services: tuple[str, ...]  # visited in turn, as a block visits them
    scenario: str
    levels: int  # visits in all, each as long as a level of the run
    quiet_sd: float


@dataclass(frozen=True)
class Headline:
    users: int
    comparisons: tuple[Comparison, ...]
    probe: Probe | None = None
    share: dict[str, float] = field(default_factory=dict)  # {scenario: share of the rounds}; 1 if absent

    def within(self, services: list[str], scenarios: list[str]) -> Headline:
        """The comparisons whose two services and scenario the run measures; the probe if the
        run has its services (the probe's scenario need not be among the run's)."""
        probe = self.probe if self.probe and set(self.probe.services) <= set(services) else None
        return Headline(self.users, tuple(c for c in self.comparisons if c.numerator in services
                                          and c.denominator in services and c.scenario in scenarios),
                        probe, self.share)

    def blocks(self, scenario: str, rounds: int) -> int:
        """How many of `rounds` headline rounds measure the scenario's block: its share of them,
        rounded up, at least one."""
        return min(rounds, max(1, math.ceil(rounds * self.share.get(scenario, 1.0) - 1e-9))) if rounds else 0

    def rounds_of(self, scenario: str, rounds: int) -> list[int]:
        """The rounds (1..rounds) that measure the scenario's block, spread evenly over them."""
        b = self.blocks(scenario, rounds)
        return [r for r in range(1, rounds + 1) if (r * b) // rounds > ((r - 1) * b) // rounds]

    def groups(self) -> dict[str, list[str]]:
        """{scenario: the services its comparisons name}, each service once, in file order:
        one block per scenario and round measures all of them."""
        out: dict[str, list[str]] = {}
        for c in self.comparisons:
            members = out.setdefault(c.scenario, [])
            members.extend(s for s in (c.numerator, c.denominator) if s not in members)
        return out

    def visits(self, rounds: int) -> int:
        """Visits of a headline part of `rounds` rounds: each block visits its services twice."""
        return sum(2 * len(members) * self.blocks(scenario, rounds) for scenario, members in self.groups().items())


def load(path: Path = PATH) -> Headline:
    doc = tomllib.loads(path.read_text())
    comparisons = []
    for entry in doc.get("comparison", []):
        a, b = entry["services"]
        if a == b:
            raise UsageError(f"{path.name}: a comparison of {a} with itself")
        comparisons.extend(Comparison(a, b, s) for s in entry["scenarios"])
    users = int(doc["users"])
    if users < 1:
        raise UsageError(f"{path.name}: users must be at least 1")
    probe = None
    if "probe" in doc:
        fields = dict(doc["probe"])
        probe = Probe(**{**fields, "services": tuple(fields["services"])})
        if len(probe.services) < 2 or probe.levels < 2 * len(probe.services):
            raise UsageError(f"{path.name}: the probe visits two services or more, each at least twice")
    share = {str(k): float(v) for k, v in doc.get("share", {}).items()}
    if any(not 0 < v <= 1 for v in share.values()):
        raise UsageError(f"{path.name}: a share is a fraction of the rounds, above 0 and at most 1")
    return Headline(users, tuple(comparisons), probe, share)
