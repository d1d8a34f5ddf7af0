"""The contract gate: a service is measured only if the contract suite passes against it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from ..core.config import ROOT

CONTRACT_DIR = ROOT / "tests" / "contract"
TIMEOUT_S = 900


def command(service: str, base_url: str | None = None,
            mock_key: str | None = None) -> tuple[list[str], dict[str, str]]:
    """argv and its extra environment. Natively the suite starts the service from its manifest.
    Given the base_url of a service the harness did not start (a compose container), it runs
    against that with the servers already listening (CONTRACT_SERVERS=running), and skips the
    tests that need a second instance of the service."""
    uv = shutil.which("uv")
    runner = [uv, "run", "pytest"] if uv else [sys.executable, "-m", "pytest"]
    if base_url is None:  # the sweep built the service just before: the suite tests that build
        argv = [*runner, "tests/contract", "--service", service, "-q", "-p", "no:cacheprovider"]
        return argv, {"CONTRACT_BUILT": "1"}
    argv = [*runner, "tests/contract", "-q", "-p", "no:cacheprovider"]
    return argv, {"BASE_URL": base_url, "MOCK_KEY": mock_key or service, "CONTRACT_SERVERS": "running"}


def run(service: str, skip: bool = False, base_url: str | None = None,
        mock_key: str | None = None) -> dict:
    """{"status": passed|failed|skipped, ...}; the output tail explains a failure."""
    argv, env = command(service, base_url, mock_key)
    shown = " ".join([*(f"{k}={v}" for k, v in env.items()), *argv])
    if skip:
        return {"status": "skipped", "seconds": None, "command": shown,
                "output_tail": "--skip-gate: contract suite not run (development only)"}
    if not any(CONTRACT_DIR.glob("test_*.py")):
        return {"status": "failed", "seconds": 0.0, "command": shown,
                "output_tail": f"no contract suite in {CONTRACT_DIR.relative_to(ROOT)}"}
    start = time.monotonic()
    try:
        r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
                           stdin=subprocess.DEVNULL, check=False, env={**os.environ, **env})
        status, output = ("passed" if r.returncode == 0 else "failed"), r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        status, output = "failed", f"timed out after {TIMEOUT_S} s\n{(e.stdout or b'')[-3000:]!r}"
    return {"status": status, "seconds": round(time.monotonic() - start, 1),
            "command": shown, "output_tail": output[-3000:]}
