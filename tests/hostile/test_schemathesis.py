"""Schemathesis against every service: generated valid and invalid requests for every operation
of contract/openapi.yaml, with every check on (no 5xx but the documented dependency codes,
every status, content type and body as the spec says, invalid input rejected, valid input
accepted, unlisted methods 405). Settings and the fixed seed: tests/hostile/schemathesis.toml.

Reproduce a failure by hand against a running service:
    .venv/bin/st --config-file tests/hostile/schemathesis.toml run contract/openapi.yaml --url URL
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ST = Path(sys.executable).parent / "st"


def test_schemathesis(target, tmp_path):
    cmd = [str(ST), "--config-file", str(HERE / "schemathesis.toml"), "run",
           str(ROOT / "contract" / "openapi.yaml"), "--url", target.base_url, "--no-color"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, (
        f"schemathesis found problems in {target.name} ({' '.join(cmd)}):\n"
        f"{proc.stdout[-12000:]}\n{proc.stderr[-2000:]}")
    assert target.running is None or target.running.alive()
