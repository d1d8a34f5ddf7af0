"""`loadtest calibrate`: the ceiling of each load generator on its pinned core, against a
trivial server (a second external mock, delay 0, in a 1-vCPU cgroup on the service's core).

A level of a real sweep that reaches 90 % of this ceiling is flagged generator_bound
(level.generator_bound). When the trivial server itself used its whole quota the ceiling is a
lower bound: `limited_by` says so, and only a ceiling `limited_by: generator` is used."""

from __future__ import annotations

import json
import sys
import time

from . import generator, manifest, results, service
from .config import RESULTS_DIR
from .level import GENERATOR_BOUND_CPU, SERVICE_BUSY_CPU
from .runtime import isolation
from .scenarios import Scenario
from .tools import Load

CALIBRATION_FILE = RESULTS_DIR / "calibration.json"
# The mock answers GET /external/{key}; this scenario is just that request.
TRIVIAL = Scenario("calibrate", "GET", "/external/calibrate?delay_ms=0", 200)
# The k6 script knows the contract's paths only: ending BASE_URL with a query parameter turns
# the suffix it appends into that parameter's value (GET /external/k6cal?delay_ms=0&x=/api/devices).
K6_TRIVIAL = Scenario("devices-get", "GET", "/api/devices", 200)
K6_BASE_SUFFIX = "/external/k6cal?delay_ms=0&x="


def measure(users: int, duration_s: float, tool_names: list[str], console=None) -> dict:
    placement = isolation.placement()
    box = isolation.ServiceBox("calibrate-mock", placement)
    m = manifest.load("external_mock")
    service.build(m)
    box.create()
    out = {"measured_at": results.utc_now(), "target": "external_mock, delay 0, 1 vCPU cgroup",
           "placement": placement.as_dict(), "tools": {}}
    try:
        mock = service.start(m, extra_env={"DELAY_MS": "0"}, prefix=box.prefix())
        box.attach(mock.pid)
        for name in tool_names:
            if console:
                console.print(f"calibrating {name}: {users} users, {duration_s:g} s ...")
            out["tools"][name] = _one_tool(name, mock.base_url, users, duration_s, box, mock.pid)
        mock.stop()
    finally:
        box.cleanup()
    return out


def _one_tool(name: str, base_url: str, users: int, duration_s: float, box: isolation.ServiceBox,
              pid: int) -> dict:
    workdir = RESULTS_DIR / "calibration-raw"
    workdir.mkdir(parents=True, exist_ok=True)
    scenario, base = (K6_TRIVIAL, base_url + K6_BASE_SUFFIX) if name == "k6" else (TRIVIAL, base_url)
    c0, t0 = box.cpu(pid), time.monotonic()
    run = generator.run(name, Load(scenario, users, duration_s), base, workdir / f"{name}.json",
                        box.placement.generator_cpus, workdir)
    c1, elapsed = box.cpu(pid), time.monotonic() - t0
    target_cpu = (c1.usage_ns - c0.usage_ns) / 1e9 / elapsed if c0 and c1 else None
    limited = ("target (lower bound)" if target_cpu is not None and target_cpu >= SERVICE_BUSY_CPU
               else "generator" if run.cpu_of_core >= GENERATOR_BOUND_CPU else "neither (contention?)")
    return {"rps": sum(run.result.status_codes.values()) / run.result.duration_s,
            "cpu_percent_of_core": 100 * run.cpu_of_core,
            "target_cpu_percent_of_quota": None if target_cpu is None else 100 * target_cpu,
            "limited_by": limited, "users": users, "duration_s": duration_s}


def save(data: dict) -> None:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    CALIBRATION_FILE.write_text(json.dumps(data, indent=1) + "\n")


def load() -> dict | None:
    """The last calibration of this checkout, or None (then generator_bound is judged from the
    generator's CPU alone)."""
    try:
        return results.load(CALIBRATION_FILE) if CALIBRATION_FILE.exists() else None
    except (OSError, ValueError):
        print(f"loadtest: ignoring unreadable {CALIBRATION_FILE}", file=sys.stderr)
        return None


def ceiling(calibration: dict | None, tool: str) -> float | None:
    """A tool's ceiling, only when calibration showed the tool itself saturated: a run where
    neither side was saturated (a busy machine) or the trivial server was, is no ceiling."""
    c = ((calibration or {}).get("tools") or {}).get(tool) or {}
    return c.get("rps") if c.get("limited_by") == "generator" else None
