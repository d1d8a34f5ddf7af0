"""A run's results.json as one typed value, parsed once: its schema version checked, then
results.schema.json, then these models. Every exporter, `summary`, `compare` and `report`
take a RunDocument; the sweep writes the same shape (results.ResultsFile) and reads it back
through here. Runs of every schema version this project has written load (1 to 3): a field a
run did not record yet has its default."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from ..core.errors import InfraError
from ..scenarios import SCENARIOS
from .calibration import Calibration
from .level import Level

SCHEMA_VERSION = 3  # what this version writes
READABLE = (1, 2, 3)  # what it reads
SCHEMA_PATH = Path(__file__).parents[1] / "results.schema.json"


class _Open(BaseModel):
    """Declared fields typed; a field a newer run adds is kept, not refused (results.schema.json
    allows them there too)."""

    model_config = ConfigDict(extra="allow")


class RunOptions(_Open):
    """The sweep's plan as it ran (measurement/plan.py SweepPlan.as_dict)."""

    services: list[str] = []
    scenarios: list[str] = []
    levels: list[int] = []
    duration_s: float = 0.0
    warmup_s: float = 0.0
    pause_s: float = 0.0
    tool: str | None = None
    tool_basis: str | None = None  # given, calibration or default: why this closed-loop tool
    keepalive: bool = True
    skip_gate: bool = False
    quick: bool = False
    runtime: str = "native"
    rounds: int = 1
    seed: int | None = None
    open_loop: bool = False
    params: dict[str, int] | None = None  # the scenarios' parameters (schema 3)

    def scenario_params(self) -> dict[str, int]:
        """The scenarios' parameters the run used: before schema 3 they sat among the options."""
        if self.params is not None:
            return self.params
        extra = self.model_extra or {}
        return {p.name: extra[p.name] for s in SCENARIOS.values() for p in s.params if p.name in extra}


class NoiseProbe(_Open):
    """The pre-flight probe (measurement/noise.py): services of a headline comparison visited
    in turn. Runs before 2026-12-08 probed one service: read as a probe of that one alone."""

    services: list[str]
    scenario: str
    users: int
    duration_s: float
    ok_rps: dict[str, list[float]]  # {service: its visits' successful requests/s, in order}
    log_sd: float | None  # their spread, each service around its own level, pooled
    quiet_sd: float
    measured_at: str
    cpu: str | None = None
    target_half_width: float | None = None
    expected_half_width: dict[str, float | None] | None = None  # {scenario: from log_sd and its blocks}

    @model_validator(mode="before")
    @classmethod
    def _one_service(cls, data):
        if isinstance(data, dict) and "service" in data and "services" not in data:
            data = {**data, "services": [data["service"]], "ok_rps": {data["service"]: data.get("ok_rps", [])}}
        return data


class Remeasured(_Open):
    """A level measured again at the end of its round for its steal (sweep.py)."""

    service: str
    scenario: str
    users: int
    round: int
    block: int | None = None
    first_raw: str
    steal_percent: float | None
    again_raw: str | None = None
    again_steal_percent: float | None = None


class RunInfo(_Open):
    id: str
    label: str
    status: str  # running | complete | interrupted | failed
    started_at: str
    finished_at: str | None
    command: list[str]
    options: RunOptions
    noise_probe: NoiseProbe | None = None
    remeasured: list[Remeasured] = []


class Placement(_Open):
    """Where the service, the generator and the databases ran (runtime/isolation.py)."""

    mode: str  # cgroup-v1 | cgroup-v2 | taskset | compose
    service_cpus: list[int]
    generator_cpus: list[int]
    database_cpus: list[int]
    databases_share: str
    cpus_online: list[int] = []
    cpu_quota_cores: float | None = None
    memory_limit_bytes: int | None = None
    notes: list[str] = []


class Cpu(_Open):
    """The first processor in /proc/cpuinfo (servers/machine.py)."""

    identity: str | None = None
    model_name: str | None = None
    mhz: float | None = None
    cache: str | None = None
    cores: int | None = None
    hypervisor: bool = False


class Environment(_Open):
    git_commit: str | None
    git_dirty: bool = False
    cpu_model: str
    cpu_count: int | None = None
    kernel: str
    tools: dict[str, str | None]
    servers: dict[str, str | None] | None = None
    placement: Placement
    cpu: Cpu | None = None  # runs recorded before the CPU's identity have only cpu_model

    @property
    def cpu_identity(self) -> str:
        """What two runs must share for their ratios to compare: the CPU's identity, or its
        model name in runs recorded before the identity was."""
        return (self.cpu.identity if self.cpu else None) or self.cpu_model


class Gate(_Open):
    status: str  # passed | failed | skipped
    seconds: float | None = None
    command: str | None = None
    output_tail: str | None = None


class ServiceEntry(_Open):
    status: str  # pending | gate-failed | failed | measured
    error: str | None = None
    summary: str | None = None
    language: str | None = None
    workers: int | None = None
    version: dict | None = None
    gate: Gate | None = None


class RunDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int
    run: RunInfo
    environment: Environment
    calibration: Calibration | None
    services: dict[str, ServiceEntry]
    levels: list[Level]

    def measured(self, excluded: bool = False) -> list[Level]:
        """The levels in the order they were measured; without the ones a rule of the run
        excluded (a level measured again for its steal) unless `excluded`."""
        return [lv for lv in self.levels if excluded or not lv.excluded]

    @property
    def rounds(self) -> int:
        """How many rounds the run measured (a headline part's included)."""
        return len({lv.round for lv in self.levels}) or 1

    def failed_services(self) -> list[str]:
        return [name for name, s in self.services.items() if s.status != "measured"]


def parse(data: dict, where: str = "results.json", schema: bool = True) -> RunDocument:
    """The document, checked: a version this code reads, the JSON schema (unless `schema` is
    false: the sweep reading back what it wrote, whose load tools may include one registered
    at run time), then the models. A problem is one sentence (InfraError) naming where in the
    document it is."""
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version not in READABLE:
        raise InfraError(f"{where}: schema_version {version!r}: this loadtest reads "
                         f"{', '.join(map(str, READABLE))} (a run written by a newer version, or not a run)")
    try:
        if schema:
            jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
        return RunDocument.model_validate(data)
    except jsonschema.ValidationError as e:
        at = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise InfraError(f"{where}: does not match results.schema.json at {at}: {e.message}") from e
    except ValidationError as e:
        first = e.errors()[0]
        at = "/".join(map(str, first["loc"])) or "(top level)"
        raise InfraError(f"{where}: at {at}: {first['msg']}") from e


def read(path: Path) -> RunDocument:
    """A run directory's (or a results.json file's) document, parsed once (parse)."""
    p = path / "results.json" if path.is_dir() else path
    try:
        data = json.loads(p.read_text())
    except OSError as e:
        raise InfraError(f"cannot read results from {path}: {e.strerror or e}") from e
    except ValueError as e:
        raise InfraError(f"{p}: not JSON: {e}") from e
    return parse(data, str(p))
