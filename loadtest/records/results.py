"""results/<UTC time>-<label>/results.json: one document per run, rewritten atomically after
every level so an interrupted sweep keeps what it measured. Schema: results.schema.json
(documented in docs/results-schema.md)."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from .. import tools
from ..core import config
from ..core.config import RESULTS_DIR, ROOT
from ..core.errors import InfraError
from ..servers import binaries, machine, variants
from .level import Level

SCHEMA_VERSION = 3
SCHEMA_PATH = Path(__file__).parents[1] / "results.schema.json"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def run_dir(label: str, out: Path | None = None) -> Path:
    if out is not None:
        d = out
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        d = RESULTS_DIR / f"{stamp}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', label)}"
    (d / "raw").mkdir(parents=True, exist_ok=True)
    return d


def git(*args: str) -> str | None:
    try:
        r = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10,
                           check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(placement: dict, tool_names: list[str]) -> dict:
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--", "services", "loadtest")),
        "hostname": platform.node(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "cpu": machine.cpu(),
        "toolchains": machine.toolchains(),
        "tools": {t: tools.get(t).version() for t in tool_names},
        "placement": placement,
        # The native servers' binaries (loadtest/servers/binaries.py); compose runs use its images.
        "servers": None if placement.get("mode") == "compose" else server_versions(),
    }


def server_versions() -> dict:
    return binaries.versions(pg_data_dir=config.run_dir() / "postgres-data")


def service_version(name: str) -> dict:
    """Which code was measured: the git tree of the service's folder, and whether it had edits
    (for a variant, the service's folder with the variant's patch)."""
    base, variant = variants.split(name)
    version = {"git_tree": git("rev-parse", f"HEAD:services/{base}"),
               "dirty": bool(git("status", "--porcelain", "--", f"services/{base}"))}
    if variant is not None:
        version["patch"] = str(variants.patch_file(base, variant).relative_to(ROOT))
        version["variant"] = variants.description(name)
    return version


class ResultsFile:
    """The run document in memory, written to disk whenever it changes."""

    def __init__(self, directory: Path, doc: dict):
        self.dir = directory
        self.path = directory / "results.json"
        self.doc = doc
        self.save()

    @classmethod
    def new(cls, directory: Path, run: dict, environment: dict) -> ResultsFile:
        doc = {"schema_version": SCHEMA_VERSION, "run": {**run, "status": "running",
                                                          "started_at": utc_now(), "finished_at": None},
               "environment": environment, "calibration": None, "services": {}, "levels": []}
        return cls(directory, doc)

    def save(self) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.doc, indent=1, allow_nan=False, default=_jsonable) + "\n")
        os.replace(tmp, self.path)

    def add_level(self, level: Level) -> None:
        self.doc["levels"].append(level.as_dict())
        self.save()

    def set_service(self, name: str, **fields) -> None:
        self.doc["services"].setdefault(name, {}).update(fields)
        self.save()

    def finish(self, status: str) -> None:
        self.doc["run"]["status"] = status
        self.doc["run"]["finished_at"] = utc_now()
        self.save()


def _jsonable(o):
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def load(path: Path) -> dict:
    p = path / "results.json" if path.is_dir() else path
    with open(p) as f:
        return json.load(f)


def load_checked(path: Path) -> dict:
    """load() + validate(), with errors the command line reports in one sentence."""
    try:
        doc = load(path)
        validate(doc)
    except OSError as e:
        raise InfraError(f"cannot read results from {path}: {e.strerror or e}") from e
    except ValueError as e:
        raise InfraError(f"{path}: not JSON: {e}") from e
    except jsonschema.ValidationError as e:
        where = "/".join(map(str, e.absolute_path)) or "(top level)"
        raise InfraError(f"{path}: does not match results.schema.json at {where}: {e.message}") from e
    return doc


def validate(doc: dict) -> None:
    """Raise jsonschema.ValidationError when the document does not match the schema."""
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.validate(doc, schema)


def levels(doc: dict, excluded: bool = False) -> list[Level]:
    """The run's levels as typed values, in the order they were measured; without the ones a
    rule of the run excluded (a level measured again for its steal) unless `excluded`."""
    return [Level.model_validate(lv) for lv in doc["levels"] if excluded or not lv.get("excluded")]
