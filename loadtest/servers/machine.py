"""Where a run ran, exactly: the CPU as /proc/cpuinfo describes it, the kernel, the toolchains
that built the services. The ratio between stacks moves with the CPU, so `compare` and
`summary` use this to warn when runs did not run on the same CPU."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
CPU_FIELDS = {"model name": "model_name", "vendor_id": "vendor", "cpu family": "family", "model": "model",
              "stepping": "stepping", "cpu MHz": "mhz", "cache size": "cache", "microcode": "microcode"}
TOOLCHAINS = {"go": ["go", "version"], "rust": ["rustc", "--version"]}


def cpu(text: str | None = None) -> dict:
    """The first processor's identity, its clock and cache, the core count, and whether the
    kernel runs under a hypervisor (the `hypervisor` flag)."""
    if text is None:
        try:
            text = CPUINFO.read_text()
        except OSError:
            text = ""
    first = text.split("\n\n", 1)[0]
    fields: dict[str, str] = {}
    for line in first.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    out = {name: fields.get(key) for key, name in CPU_FIELDS.items()}
    out["mhz"] = float(out["mhz"]) if out["mhz"] else None
    out["cores"] = os.cpu_count()
    out["hypervisor"] = "hypervisor" in fields.get("flags", "").split()
    out["identity"] = identity(out)
    return out


def identity(c: dict) -> str:
    """What two runs must share to be compared: vendor, model name, family/model/stepping."""
    return (f"{c.get('model_name') or platform.processor() or 'unknown'} "
            f"(family {c.get('family')}, model {c.get('model')}, stepping {c.get('stepping')})")


def toolchains() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": sys.version.split()[0], "kernel": platform.release()}
    for name, argv in TOOLCHAINS.items():
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
            out[name] = r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout else None
        except (OSError, subprocess.TimeoutExpired):
            out[name] = None
    return out
