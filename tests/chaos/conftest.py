"""CI's chaos subset: the `loadtest chaos` command, quick profile.

Every fault of the outage kind (dependency stopped, upstream stalling, overload, kill) against
fastapi_tuned and go_stdlib, and the hung-dependency subset (PostgreSQL and MariaDB frozen with
SIGSTOP, a Toxiproxy black hole in front of PostgreSQL) against those two and django: two runs
of the command, since django gets only the latter. About 6 minutes in all on CI's 2 cores.

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
HUNG_SERVICES = ["django", *SERVICES]
HUNG_FAULTS = ["stall-postgres", "stall-mariadb", "blackhole-postgres"]  # the proxied one last
CASES = ([(s, f) for s in SERVICES for f in FAULTS]
         + [(s, f) for s in HUNG_SERVICES for f in HUNG_FAULTS])
RUNS = [  # (services, faults, timeout in seconds): each run well past its ~2 to 4 minutes
    (SERVICES, FAULTS + HUNG_FAULTS, 600),
    ([s for s in HUNG_SERVICES if s not in SERVICES], HUNG_FAULTS, 300),
]
OWN_SERVERS = {"BENCH_RUN_DIR": str(ROOT / ".bench-chaos-ci"),
               "BENCH_PORT_OFFSET": str(int(os.environ.get("BENCH_PORT_OFFSET", "0")) + 400)}
# Toxiproxy is stopped by the chaos run itself; this is for a run ended by its timeout.
STOP_TOXIPROXY = "from loadtest.chaos import toxiproxy; toxiproxy.stop()"


def _run(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    env = {**os.environ, **OWN_SERVERS}
    return subprocess.run([sys.executable, *argv], check=False, cwd=ROOT, env=env, timeout=timeout,
                          capture_output=True, text=True)


def _chaos(services: list[str], faults: list[str], out: Path, timeout: float) -> dict:
    run = _run(["-m", "loadtest", "chaos", *services, "--profile", "quick", "--fault", ",".join(faults),
                "--out", str(out)], timeout=timeout)
    print(run.stdout, run.stderr, sep="\n")
    results = out / "results.json"
    assert results.exists(), f"no results (exit {run.returncode}):\n{run.stderr[-3000:]}"
    return json.loads(results.read_text())


@pytest.fixture(scope="session")
def chaos_results(tmp_path_factory) -> dict:
    """Both runs' results, merged by service."""
    merged: dict = {"services": {}}
    try:
        for i, (services, faults, timeout) in enumerate(RUNS):
            doc = _chaos(services, faults, tmp_path_factory.mktemp(f"chaos{i}"), timeout)
            merged["services"].update(doc["services"])
        yield merged
    finally:
        _run(["-c", STOP_TOXIPROXY], timeout=60)
        _run(["-m", "loadtest", "infra", "down"], timeout=120)
