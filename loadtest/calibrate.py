"""`loadtest calibrate`: the ceiling of each load generator on its pinned core, against a
trivial server (a second external mock, delay 0, in a 1-vCPU cgroup on the service's core).

A level of a real sweep that reaches 90 % of this ceiling is flagged generator_bound. When the
trivial server itself used its whole quota the ceiling is a lower bound: `limited_by` says so."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from . import generator, infra, isolation, procs, results
from .generator import Load
from .plan import parse_duration
from .results import RESULTS_DIR
from .scenarios import Scenario

CALIBRATION_FILE = RESULTS_DIR / "calibration.json"
# The mock answers GET /external/{key}; the "scenario" below is just that request.
TRIVIAL = Scenario("calibrate", "GET", "/external/calibrate?delay_ms=0", 200)


def measure(users: int, duration_s: float, tools: list[str], console=None) -> dict:
    placement = isolation.plan()
    box = isolation.ServiceBox("calibrate-mock", placement)
    box.create()
    port = procs.free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DELAY_MS": "0"}
    binary = infra.build_mock()
    workdir = RESULTS_DIR / "calibration-raw"
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([*box.prefix(), str(binary)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT, start_new_session=True)
    box.attach(proc.pid)
    out = {"measured_at": results.utc_now(), "target": "external_mock, delay 0, 1 vCPU cgroup",
           "placement": placement.as_dict(), "tools": {}}
    try:
        procs.wait_until(lambda: procs.port_open("127.0.0.1", port), 15, "calibration mock")
        base = f"http://127.0.0.1:{port}"
        for tool in tools:
            if console:
                console.print(f"calibrating {tool}: {users} users, {duration_s:g} s ...")
            c0, t0 = box.cpu(proc.pid), time.monotonic()
            raw = workdir / f"{tool}.json"
            if tool == "k6":  # the k6 script only knows the contract's paths: use oha's shape
                run = _k6_trivial(base, users, duration_s, raw, placement)
            else:
                run = generator.run(tool, Load(TRIVIAL, users, duration_s), base, raw, placement, workdir)
            c1, elapsed = box.cpu(proc.pid), time.monotonic() - t0
            target_cpu = (c1.usage_ns - c0.usage_ns) / 1e9 / elapsed if c0 and c1 else None
            rps = sum(run.result.status_codes.values()) / run.result.duration_s
            limited = ("target (lower bound)" if target_cpu is not None and target_cpu >= 0.9
                       else "generator" if run.cpu_of_core >= 0.9 else "neither (contention?)")
            out["tools"][tool] = {"rps": rps, "cpu_percent_of_core": 100 * run.cpu_of_core,
                                  "target_cpu_percent_of_quota": None if target_cpu is None else 100 * target_cpu,
                                  "limited_by": limited, "users": users, "duration_s": duration_s}
    finally:
        procs.stop_pid(proc.pid)
        box.cleanup()
    return out


def _k6_trivial(base: str, users: int, duration_s: float, raw: Path, placement) -> generator.GeneratorRun:
    """k6 against the mock. The script appends /api/devices to BASE_URL; ending BASE_URL with
    a query parameter turns that suffix into the parameter's value, so the mock sees
    GET /external/k6cal?delay_ms=0&x=/api/devices."""
    scenario = Scenario("devices-get", "GET", "/api/devices", 200)
    return generator.run("k6", Load(scenario, users, duration_s), f"{base}/external/k6cal?delay_ms=0&x=",
                         raw, placement, raw.parent)


def cmd_calibrate(args, console=None) -> int:
    from rich.console import Console

    console = console or Console()
    data = measure(args.users, parse_duration(args.duration), args.tools, console)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    import json

    CALIBRATION_FILE.write_text(json.dumps(data, indent=1) + "\n")
    for tool, c in data["tools"].items():
        console.print(f"{tool}: {c['rps']:,.0f} req/s, generator CPU {c['cpu_percent_of_core']:.0f} % "
                      f"of a core, target CPU {c['target_cpu_percent_of_quota'] or 0:.0f} % of its "
                      f"quota -> limited by {c['limited_by']}")
    console.print(f"saved {CALIBRATION_FILE}")
    return 0
