"""The headline comparisons (headline.toml): which services a sweep's headline part measures
side by side in blocks, per scenario, and at which load. Read here only; the schedule turns
them into blocks, the analysis takes their ratios within each block."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
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
    service: str
    scenario: str
    levels: int
    duration: str
    quiet_sd: float


@dataclass(frozen=True)
class Headline:
    users: int
    comparisons: tuple[Comparison, ...]
    probe: Probe | None = None

    def within(self, services: list[str], scenarios: list[str]) -> Headline:
        """The comparisons whose two services and scenario the run measures."""
        probe = self.probe if self.probe and self.probe.service in services else None
        return Headline(self.users, tuple(c for c in self.comparisons if c.numerator in services
                                          and c.denominator in services and c.scenario in scenarios), probe)

    def groups(self) -> dict[str, list[str]]:
        """{scenario: the services its comparisons name}, each service once, in file order:
        one block per scenario and round measures all of them."""
        out: dict[str, list[str]] = {}
        for c in self.comparisons:
            members = out.setdefault(c.scenario, [])
            members.extend(s for s in (c.numerator, c.denominator) if s not in members)
        return out

    def visits_per_round(self) -> int:
        return sum(2 * len(members) for members in self.groups().values())


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
    probe = Probe(**doc["probe"]) if "probe" in doc else None
    return Headline(users, tuple(comparisons), probe)
