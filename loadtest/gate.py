"""The contract gate: a service is measured only if the contract suite passes against it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

from .config import ROOT

CONTRACT_DIR = ROOT / "tests" / "contract"
TIMEOUT_S = 900


def command(service: str) -> list[str]:
    uv = shutil.which("uv")
    runner = [uv, "run", "pytest"] if uv else [sys.executable, "-m", "pytest"]
    return [*runner, "tests/contract", "--service", service, "-q", "-p", "no:cacheprovider"]


def run(service: str, skip: bool = False) -> dict:
    """{"status": passed|failed|skipped, ...}; the output tail explains a failure."""
    argv = command(service)
    if skip:
        return {"status": "skipped", "seconds": None, "command": " ".join(argv),
                "output_tail": "--skip-gate: contract suite not run (development only)"}
    if not any(CONTRACT_DIR.glob("test_*.py")):
        return {"status": "failed", "seconds": 0.0, "command": " ".join(argv),
                "output_tail": f"no contract suite in {CONTRACT_DIR.relative_to(ROOT)}"}
    start = time.monotonic()
    try:
        r = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
                           stdin=subprocess.DEVNULL, check=False)
        status, output = ("passed" if r.returncode == 0 else "failed"), r.stdout + r.stderr
    except subprocess.TimeoutExpired as e:
        status, output = "failed", f"timed out after {TIMEOUT_S} s\n{(e.stdout or b'')[-3000:]!r}"
    return {"status": status, "seconds": round(time.monotonic() - start, 1),
            "command": " ".join(argv), "output_tail": output[-3000:]}
