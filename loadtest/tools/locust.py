"""locust adapter: the tool of the "How fast can a FastAPI app go?" write-up, run headless.

loadtest/locust/locustfile.py sends the scenario's request in a closed loop (no wait between
requests) and writes its counts by status and transport error, its window and percentiles to
SUMMARY_PATH as JSON, the file parsed here; `--csv` keeps locust's own tables beside it for
whoever wants them. locust is one gevent process: pinned to the generator's core it is the
single-core Python generator the write-up ran, and it saturates early (the write-up's Gin figure
was locust's limit): the level's generator CPU says when."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..core.config import ROOT, VENV_DIR
from .base import Invocation, Load, ToolResult, version_line

VERSION = "2.47.0"  # pinned in pyproject.toml
LOCUSTFILE = ROOT / "loadtest" / "locust" / "locustfile.py"
STOP_TIMEOUT_S = 30  # requests in flight at the deadline finish and count, as with oha -w


def binary() -> str:
    found = VENV_DIR / "bin" / "locust"
    if not os.access(found, os.X_OK):
        raise FileNotFoundError(f"locust not found: `uv sync` installs it (locust=={VERSION})")
    return str(found)


def argv(base_url: str, users: int, duration_s: float, csv_prefix: Path) -> list[str]:
    """Every user spawned within the first second (-r users), then -t of load."""
    return [binary(), "-f", str(LOCUSTFILE), "--headless", "--only-summary", "--host", base_url,
            "-u", str(users), "-r", str(users), "-t", f"{max(1, round(duration_s))}s",
            "--stop-timeout", str(STOP_TIMEOUT_S), "--exit-code-on-error", "0",
            "--csv", str(csv_prefix), "--loglevel", "WARNING"]


def env(load: Load, summary_path: Path) -> dict[str, str]:
    s = load.scenario
    body = s.request_body(load.firmware_prefix, 0)
    return {"LOCUST_METHOD": s.method, "LOCUST_PATH": s.request_path(load.params),
            "LOCUST_BODY": json.dumps(body) if body else "", "LOCUST_EXPECTED": str(s.expected_status),
            "SUMMARY_PATH": str(summary_path)}


def parse(raw: str | bytes, duration_s: float) -> ToolResult:
    """duration_s: the load's -t, used when the summary has no window of its own."""
    data = json.loads(raw)
    latency = {k: data["latency_ms"].get(k) for k in ("p50", "p90", "p95", "p99", "max", "mean")}
    return ToolResult(tool="locust", duration_s=float(data.get("window_s") or duration_s),
                      status_codes={str(k): int(v) for k, v in data["status_codes"].items()},
                      transport_errors={k: int(v) for k, v in data["transport_errors"].items()},
                      latency_ms=latency)


class LocustTool:
    """locust, closed loop: -u users, each sending its next request as soon as it has an answer."""

    name = "locust"
    min_duration_s = 1.0
    open_loop = False
    raw_suffix = "json"  # of its raw output file

    def version(self) -> str | None:
        return version_line(binary, "--version")

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        cmd = argv(base_url, load.users, load.duration_s, raw_path.with_suffix(""))
        return Invocation(cmd, stdout=raw_path.with_suffix(".stdout"), env=env(load, raw_path))

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        result = parse(raw, load.duration_s)
        if not load.keepalive:
            result.notes.append("locust keeps connections alive: --no-keepalive is not applied")
        return result


LOCUST = LocustTool()
