"""results/calibration.json as a typed value: the checks of the load generators on this machine
(measurement/calibrate.py writes it, section by section) and the last pre-flight noise probe.
A run copies it into its results.json (`calibration`); the sweep reads the ceilings and the
closed-loop default from here. Each section, and each field of one, is optional: a check not
run yet is absent, and a file written by an older version still loads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

GENERATOR = "generator"  # a ceiling limited by the tool itself: the only kind that counts


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Ceiling(_Open):
    """One tool against the trivial server (delay 0, 1 vCPU): its requests/s and who ran out."""

    rps: float
    cpu_percent_of_core: float | None = None
    target_cpu_percent_of_quota: float | None = None
    limited_by: str | None = None  # generator | target (lower bound) | neither (contention?)
    users: int | None = None
    duration_s: float | None = None


class ToolRun(_Open):
    """One tool's run in a service check (calibrate.run_figures)."""

    tool: str | None = None
    users: int | None = None
    rps: float | None = None
    ok_rps: float | None = None
    sent_rps: float | None = None
    errors: int | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    dropped: int | None = None
    arrivals: int | None = None
    cpu_percent_of_core: float | None = None
    cpu_us_per_request: float | None = None
    target_cpu_percent_of_quota: float | None = None
    generator_bound: bool = False


class Agreement(_Open):
    """wrk and oha against one real service at a level neither bounds."""

    measured_at: str | None = None
    service: str | None = None
    scenario: str | None = None
    users: int | None = None
    duration_s: float | None = None
    runs: dict[str, ToolRun] = {}
    ratio: float | None = None  # wrk / oha successful req/s
    tolerance: float | None = None
    generator_bound: list[str] = []
    agree: bool | None = None


class OpenLoopCheck(_Open):
    """The harness's open loop beside k6's constant arrival rate, at a fraction of the peak."""

    measured_at: str | None = None
    service: str | None = None
    scenario: str | None = None
    duration_s: float | None = None
    fraction: float | None = None
    peak: ToolRun | None = None
    rate: float | None = None
    runs: dict[str, ToolRun] = {}
    harness: str | None = None
    reference: str | None = None
    lightest: str | None = None
    p99_ratio: float | None = None
    limit: float | None = None
    within: bool | None = None
    delivered: dict[str, bool] = {}
    note: str | None = None


class Noise(_Open):
    """The last pre-flight noise probe on this checkout (the sweep's, measurement/noise.py)."""

    log_sd: float | None = None
    measured_at: str | None = None


class Calibration(_Open):
    measured_at: str | None = None
    target: str | None = None
    placement: dict | None = None
    tools: dict[str, Ceiling] = {}
    closed_loop_default: str | None = None
    closed_loop_default_basis: str | None = None
    agreement: Agreement | None = None
    open_loop: OpenLoopCheck | None = None
    noise: Noise | None = None

    def ceiling(self, tool: str) -> float | None:
        """A tool's ceiling, only when the tool itself saturated: a run where neither side was
        saturated (a busy machine), or where the trivial server was, is no ceiling."""
        c = self.tools.get(tool)
        return c.rps if c is not None and c.limited_by == GENERATOR else None
