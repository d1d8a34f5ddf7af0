"""tests/guest: Debian 13 for real. Each module runs one script of scripts/guest/ once (the
guest under QEMU, or the chroot) and its tests read what it wrote. Outputs are kept in
.bench/guest-results/ to be looked at; `make test-guest` runs scripts/guest/prepare.sh first."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / ".bench" / "guest-results"


def require_machine() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: debootstrap, chroot, namespaces, mounts")
    for tool in ("qemu-system-x86_64", "debootstrap", "mke2fs", "unshare", "go"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} missing (scripts/guest/prepare.sh installs it)")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} missing)"


def run_script(argv: list[str], timeout: float) -> int:
    """Run a scripts/guest script in its own process group; past `timeout`, SIGTERM the group
    (its traps stop QEMU and leave the namespaces), then SIGKILL what is left."""
    proc = subprocess.Popen(argv, start_new_session=True)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        pytest.fail(f"{argv[0]} took longer than {timeout:.0f} s and was stopped")
