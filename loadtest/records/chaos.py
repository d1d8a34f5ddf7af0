"""results/chaos-<UTC time>/results.json as a typed value: what `loadtest chaos` ran (command,
commit, profile, faults) and, per service, each fault's result: pass or fail, the criteria, a
table cell and every measurement (a fault's own figures, kept as measured). chaos/runner.py
writes it; the reliability table (chaos/table.py) and the exit code read it through here."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

NOT_STARTED = "not started"


class FaultResult(BaseModel):
    """One fault on one service: with repeats, the worst run's result and every run's."""

    model_config = ConfigDict(extra="forbid")

    fault: str
    passed: bool
    cell: str
    criteria: dict[str, bool]
    failed: list[str]
    error: str | None = None
    seconds: float
    measured: dict[str, Any]  # the fault's own figures (windows, statuses, latencies, resources)
    repeats: list[FaultResult] = []


class ServiceResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str  # running | done | not started
    port: int | None = None
    faults: dict[str, FaultResult] = {}
    notes: list[str] = []
    error: str | None = None


class ChaosRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["chaos"]
    command: str
    date: str
    git_commit: str | None
    git_dirty: bool = False
    run_dir: str
    port_offset: int
    profile: dict[str, Any]  # chaos/context.py's Profile, as its fields
    faults: list[str]
    services: dict[str, ServiceResult]

    def failures(self) -> list[str]:
        """service/fault for every fault that failed, and each service that did not start."""
        return [f"{name}/{fault}" for name, s in self.services.items() for fault, r in s.faults.items()
                if not r.passed] + [name for name, s in self.services.items() if s.status == NOT_STARTED]


def read(path: Path) -> ChaosRun:
    p = path / "results.json" if path.is_dir() else path
    return ChaosRun.model_validate_json(p.read_text())
