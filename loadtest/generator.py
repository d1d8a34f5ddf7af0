"""Run one load-generator invocation pinned to its core, keep its raw output, measure its CPU.

The generator's CPU comes from wait4()'s rusage, exact for the whole run of the tool; it is
compared with a full core to flag a generator-bound level."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from . import isolation
from .procs import InfraError
from .scenarios import Scenario, write_device_bodies
from .tools import ToolResult, k6, oha

GENERATOR_BOUND_CPU = 0.90  # of one core
SERVICE_BUSY_CPU = 0.90  # of the service's quota


class GeneratorError(InfraError):
    """The load generator failed or is missing; the message says what to do."""


@dataclass
class Load:
    """What to send: a scenario at a concurrency (closed loop) or a rate (open loop)."""

    scenario: Scenario
    users: int
    duration_s: float
    rate: float | None = None  # open loop: arrivals per second
    keepalive: bool = True
    fib_n: int = 25
    firmware_prefix: str = "wsb-"  # devices-post: marks the rows this run inserts


@dataclass
class GeneratorRun:
    result: ToolResult
    cpu_s: float
    wall_s: float
    raw_path: Path
    argv: list[str]

    @property
    def cpu_of_core(self) -> float:
        return self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0


def run(tool: str, load: Load, base_url: str, raw_path: Path, placement: isolation.Placement,
        workdir: Path) -> GeneratorRun:
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        argv, env, stdout_path = _command(tool, load, base_url, raw_path, workdir)
    except FileNotFoundError as e:
        raise GeneratorError(str(e)) from e
    log_path = raw_path.with_suffix(".log")
    timeout = load.duration_s + 60
    start = time.monotonic()
    with open(stdout_path, "wb") as out, open(log_path, "wb") as err:
        # taskset exec's the tool in place: the pid (and its rusage) is the tool's.
        pinned = ["taskset", "-c", ",".join(map(str, placement.generator_cpus)), *argv]
        proc = subprocess.Popen(pinned, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        status, rusage = _wait(proc, timeout)
    wall = time.monotonic() - start
    if status != 0:
        tail = log_path.read_text(errors="replace")[-1500:]
        raise GeneratorError(f"{tool} exited with {status}: {' '.join(argv)}\n{tail}")
    try:
        raw = raw_path.read_bytes()
        result = oha.parse(raw) if tool == "oha" else k6.parse(raw, load.duration_s if load.rate else None)
    except (OSError, ValueError, KeyError) as e:
        raise GeneratorError(f"{tool}: unreadable output {raw_path}: {e}") from e
    if load.rate and tool == "oha":
        result.notes.append("oha -q paces a closed loop: no dropped-request count")
    return GeneratorRun(result, rusage.ru_utime + rusage.ru_stime, wall, raw_path, argv)


def _command(tool: str, load: Load, base_url: str, raw_path: Path, workdir: Path):
    """argv, environment and stdout file of one tool invocation."""
    env = dict(os.environ)
    s = load.scenario
    if tool == "oha":
        body_lines = None
        if s.body == "devices":
            body_lines = workdir / "device-bodies.txt"
            if not body_lines.exists():
                write_device_bodies(body_lines, load.firmware_prefix)
        argv = oha.argv(s.url(base_url, load.fib_n), load.users, load.duration_s, s.method,
                        body="" if s.body == "devices" else s.body, body_lines=body_lines,
                        keepalive=load.keepalive, rate=load.rate)
        stdout_path = raw_path
    elif tool == "k6":
        argv = k6.argv()
        max_vus = max(load.users * 2, 50) if load.rate else None
        env.update(k6.env(base_url, s.name, load.users, load.duration_s, raw_path, load.fib_n,
                          load.keepalive, load.rate, max_vus, load.firmware_prefix))
        env["K6_NO_USAGE_REPORT"] = "true"
        stdout_path = raw_path.with_suffix(".stdout")
    else:
        raise GeneratorError(f"unknown tool {tool!r} (oha or k6)")
    return argv, env, stdout_path


def _wait(proc: subprocess.Popen, timeout: float):
    """waitpid with rusage, killing the tool if it overruns its window by far."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
        time.sleep(0.05)


def generator_bound(gen_cpu_of_core: float, service_cpu_of_quota: float | None,
                    rps: float, ceiling_rps: float | None) -> bool:
    """The generator, not the service, limited the level: it used nearly a full core while the
    service had CPU to spare, or the level reached 90 % of the tool's calibrated ceiling."""
    service_idle = service_cpu_of_quota is not None and service_cpu_of_quota < SERVICE_BUSY_CPU
    near_ceiling = bool(ceiling_rps) and rps >= 0.9 * ceiling_rps
    return (gen_cpu_of_core >= GENERATOR_BOUND_CPU and service_idle) or near_ceiling
