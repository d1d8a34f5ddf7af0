"""CI's chaos subset: the `loadtest chaos` command, quick profile, against two services.

It runs as a subprocess on its own servers (own data directory, ports 400 above the suite's),
so it never stops the servers the contract suite or a sweep is using; they are stopped at the end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["fastapi_tuned", "go_stdlib"]
FAULTS = ["postgres", "memcached", "mariadb", "external", "overload", "kill"]
OWN_SERVERS = {"BENCH_RUN_DIR": str(ROOT / ".bench-chaos-ci"),
               "BENCH_PORT_OFFSET": str(int(os.environ.get("BENCH_PORT_OFFSET", "0")) + 400)}


def _loadtest(*args: str, timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, **OWN_SERVERS}
    return subprocess.run([sys.executable, "-m", "loadtest", *args], check=False, cwd=ROOT, env=env,
                          timeout=timeout, capture_output=True, text=True)


@pytest.fixture(scope="session")
def chaos_results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("chaos")
    try:
        run = _loadtest("chaos", *SERVICES, "--profile", "quick", "--faults", *FAULTS,
                        "--out", str(out), timeout=360)
        print(run.stdout, run.stderr, sep="\n")
        results = out / "results.json"
        assert results.exists(), f"no results (exit {run.returncode}):\n{run.stderr[-3000:]}"
        yield json.loads(results.read_text())
    finally:
        _loadtest("infra", "down", timeout=120)
