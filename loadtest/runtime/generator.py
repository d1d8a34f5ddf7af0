"""Run one load-generator invocation pinned to its core, keep its raw output, measure its CPU.

The generator's CPU comes from wait4()'s rusage, exact for the whole run of the tool; it is
compared with a full core to flag a generator-bound level (loadtest/records/level.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .. import tools
from ..core.errors import GeneratorError
from ..tools import Load, ToolResult


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


def run(tool_name: str, load: Load, base_url: str, raw_path: Path, cpus: list[int],
        workdir: Path) -> GeneratorRun:
    """Run the tool on `cpus` (taskset exec's it in place: the pid and its rusage are the
    tool's) and parse what it wrote."""
    tool = tools.get(tool_name)
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        inv = tool.invocation(load, base_url, raw_path, workdir)
    except FileNotFoundError as e:
        raise GeneratorError(str(e)) from e
    log_path = raw_path.with_suffix(".log")
    start = time.monotonic()
    with open(inv.stdout, "wb") as out, open(log_path, "wb") as err:
        pinned = ["taskset", "-c", ",".join(map(str, cpus)), *inv.argv]
        proc = subprocess.Popen(pinned, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **inv.env})
        status, rusage = _wait(proc, load.duration_s + 60)
    wall = time.monotonic() - start
    if status != 0:
        tail = log_path.read_text(errors="replace")[-1500:]
        raise GeneratorError(f"{tool.name} exited with {status}: {' '.join(inv.argv)}\n{tail}")
    try:
        result = tool.parse(raw_path.read_bytes(), load)
    except (OSError, ValueError, KeyError) as e:
        raise GeneratorError(f"{tool.name}: unreadable output {raw_path}: {e}") from e
    return GeneratorRun(result, rusage.ru_utime + rusage.ru_stime, wall, raw_path, inv.argv)


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
