"""tests/guest: Debian 13 for real. Each module runs one script of scripts/guest/ once (the
guest under QEMU, or the chroot) and its tests read what it wrote. Outputs are kept in
.bench/guest-results/ to be looked at; `make test-guest` runs scripts/guest/prepare.sh first."""

from __future__ import annotations

import os
import shutil
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
