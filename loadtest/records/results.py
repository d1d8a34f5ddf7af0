"""results/<UTC time>-<label>/results.json: one document per run, rewritten atomically after
every level so an interrupted sweep keeps what it measured. Its shape is document.py's
RunDocument and results.schema.json (documented in docs/results-schema.md); this module writes
it, document.py reads it."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from .. import tools
from ..core import config
from ..core.config import RESULTS_DIR, ROOT
from ..servers import binaries, machine, variants
from .document import SCHEMA_VERSION, RunDocument, parse
from .level import Level


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

    def document(self) -> RunDocument:
        """The file as saved, parsed by the models (document.parse); the JSON schema is the
        readers' check (`report`, `summary`, `compare`, `export`)."""
        return parse(json.loads(self.path.read_text()), str(self.path), schema=False)

    def finish(self, status: str) -> None:
        self.doc["run"]["status"] = status
        self.doc["run"]["finished_at"] = utc_now()
        self.save()


def _jsonable(o):
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def load(path: Path) -> dict:
    """The JSON as written, unchecked (for tests of the file itself); readers take
    document.read(), the document parsed once."""
    p = path / "results.json" if path.is_dir() else path
    with open(p) as f:
        return json.load(f)
