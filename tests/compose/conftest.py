"""The compose stack for real (`make test-compose`, compose/ci.sh): shared helpers.

These tests need a Docker engine with the Compose plugin and the images' base images (on
machines without an image registry: compose/standins/build.sh). compose/ci.sh provides both and
sets COMPOSE_E2E=1; without it every test here is skipped, so a plain `pytest tests` does not
try to build images.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import httpx
import pytest

from loadtest.core.config import ROOT
from loadtest.runtime.compose import COMPOSE_FILES, published_ports_env

SERVICES = ["fastapi_tuned", "fastapi_naive", "fastapi_pooled", "django", "go_stdlib", "rust_axum"]
INFRA = ["postgres", "mysql", "memcached", "external_mock"]
# What the contract suite counted inside containers, for the closing summary.
CONTRACT_COUNTS: dict[str, str] = {}


def pytest_collection_modifyitems(config, items):
    if os.environ.get("COMPOSE_E2E") == "1":
        return
    skip = pytest.mark.skip(reason="needs a Docker engine: run `make test-compose` (compose/ci.sh)")
    for item in items:
        if "tests/compose" in str(item.fspath):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter):
    if CONTRACT_COUNTS:
        terminalreporter.section("contract suite inside containers")
        for name, counts in CONTRACT_COUNTS.items():
            terminalreporter.write_line(f"{name}: {counts}")


def compose_argv(*args: str, bench: bool = True, profiles=()) -> list[str]:
    """`docker compose`; bench=True adds the harness's override (compose/bench.yaml), which
    publishes the servers on 127.0.0.1 at db/infra.toml's ports + BENCH_PORT_OFFSET."""
    argv = ["docker", "compose"]
    if bench:
        for f in COMPOSE_FILES:
            argv += ["-f", f]
    for p in profiles:
        argv += ["--profile", p]
    return [*argv, *args]


def compose_env() -> dict[str, str]:
    return {**os.environ, **published_ports_env()}


def run_compose(argv: list[str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False, env=compose_env())


def compose(*args: str, bench: bool = True, profiles=(), timeout: float = 600) -> str:
    """Run compose_argv() from the root; its output, or a failure with the output's tail."""
    argv = compose_argv(*args, bench=bench, profiles=profiles)
    r = run_compose(argv, timeout)
    assert r.returncode == 0, f"{' '.join(argv)} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-4000:]}"
    return r.stdout


# What a build prints when the network failed, not the Dockerfile: uv, apt, cargo and the Go
# toolchain each retry a request a few times, but an outage longer than their ~45 s still fails
# the build. Such a build is run again; any other failure fails at once.
TRANSIENT = re.compile(
    r"timed out|Failed to fetch|Failed to download|Could not resolve"
    r"|Temporary failure (in name resolution|resolving)|Connection (reset|refused)"
    r"|TLS handshake timeout|i/o timeout|spurious network error|Unable to fetch some archives",
    re.IGNORECASE)


def compose_build(*services: str, attempts: int = 3, pause: float = 30,
                  timeout: float = 1800) -> str:
    """`docker compose build` of `services` under every profile, run again after a network
    failure (up to `attempts`, `pause` s apart); the classic builder keeps the layers that
    finished, so a second attempt repeats only the step that failed."""
    argv = compose_argv("build", *services, profiles=SERVICES)
    for attempt in range(1, attempts + 1):
        r = run_compose(argv, timeout)
        out = r.stdout + r.stderr
        if r.returncode == 0:
            return r.stdout
        if attempt == attempts or not TRANSIENT.search(out):
            raise AssertionError(f"{' '.join(argv)} failed ({r.returncode}) on attempt "
                                 f"{attempt} of {attempts}:\n{out[-4000:]}")
        print(f"\n{' '.join(services)}: the build hit a network failure (attempt {attempt} of "
              f"{attempts}); again in {pause:.0f} s", file=sys.stderr)
        time.sleep(pause)
    raise AssertionError("unreachable")


def docker(*args: str, timeout: float = 120) -> str:
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL, check=False)
    assert r.returncode == 0, f"docker {' '.join(args)}: {(r.stdout + r.stderr)[-2000:]}"
    return r.stdout


def wait_healthz(url: str, timeout: float = 120) -> httpx.Response:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"{url}/healthz", timeout=3)
            if r.status_code == 200:
                return r
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as e:
            last = repr(e)
        time.sleep(0.5)
    raise AssertionError(f"{url}/healthz not 200 within {timeout:.0f} s (last: {last})")


def summary_counts(output: str) -> str:
    """pytest's closing counts, e.g. '80 passed, 4 skipped'."""
    lines = [ln for ln in output.splitlines() if re.search(r"\d+ (passed|failed|error)", ln)]
    return lines[-1].strip("= ").rsplit(" in ", 1)[0] if lines else "no summary"
