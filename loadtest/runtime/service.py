"""Build, start, health-check and stop one service from its manifest."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..core.config import BIN_DIR, run_dir, service_env
from ..core.errors import InfraError
from ..servers import procs
from ..servers.manifest import Manifest


def build(m: Manifest) -> None:
    argv = m.build_argv()
    if argv:
        BIN_DIR.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(argv, cwd=m.cwd, check=False)
        if result.returncode != 0:
            raise InfraError(f"{m.name}: build failed ({' '.join(argv)}, exit {result.returncode})")


@dataclass
class Running:
    manifest: Manifest
    pid: int
    base_url: str
    log: Path
    env: dict[str, str]

    def alive(self) -> bool:
        return procs.pid_alive(self.pid)

    def stop(self, timeout: float = 15.0) -> None:
        procs.stop_pid(self.pid, timeout=timeout)


def start(
    m: Manifest,
    port: int | None = None,
    host: str = "127.0.0.1",
    mock_key: str | None = None,
    extra_env: dict[str, str] | None = None,
    prefix: Sequence[str] = (),
    healthy_within: float = 60.0,
    require_healthy: bool = True,
) -> Running:
    """Start the service in its own process group and wait until /healthz answers 200
    (any answer with require_healthy=False: a service started with a dead dependency).

    `prefix` wraps the command (e.g. a cgroup or taskset launcher) without changing the pid
    we track: the wrapper must exec the service.
    """
    port = port or procs.free_port(host)
    env = {**os.environ, **service_env(m.name, port, mock_key), "HOST": host, **m.env, **(extra_env or {})}
    run_dir().mkdir(parents=True, exist_ok=True)
    log = run_dir() / f"{m.name}-{port}.log"
    argv = [*prefix, *m.run_argv(host, port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=m.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    running = Running(m, proc.pid, f"http://{host}:{port}", log, env)
    try:
        wait_healthy(running, healthy_within, proc, require_healthy)
    except BaseException:
        running.stop()
        raise
    return running


def wait_healthy(
    r: Running, timeout: float, proc: subprocess.Popen | None = None, require_healthy: bool = True
) -> None:
    def exited() -> str | None:
        if proc is None or proc.poll() is None:
            return None
        tail = r.log.read_text(errors="replace")[-2000:]
        return f"{r.manifest.name} exited with {proc.returncode}; log {r.log}:\n{tail}"

    poll_healthz(r.base_url, timeout, r.manifest.name, exited, require_healthy, hint=f"; log {r.log}")


def poll_healthz(
    base_url: str, timeout: float, what: str, exited: Callable[[], str | None],
    require_healthy: bool = True, hint: str = "",
) -> None:
    """GET /healthz until it answers 200 (any answer when not `require_healthy`). `exited`
    says why the server is gone, or None while it runs: a dead server fails at once."""
    deadline, last = time.monotonic() + timeout, "no answer"
    while time.monotonic() < deadline:
        if (why := exited()) is not None:
            raise InfraError(why)
        try:
            resp = httpx.get(f"{base_url}/healthz", timeout=2)
            if resp.status_code == 200 or not require_healthy:
                return
            last = f"{resp.status_code} {resp.text[:200]}"
        except httpx.HTTPError as e:
            last = type(e).__name__
        time.sleep(0.2)
    raise InfraError(f"{what}: {base_url}/healthz not 200 after {timeout:.0f} s (last: {last}){hint}")
