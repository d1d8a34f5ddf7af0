"""CPython interpreters found on this machine, never downloaded: what an interpreter variant of a
Python service runs on (`fastapi_tuned~python3.13`: its service.toml builds the service's
dependency group into an environment of its own with that interpreter).

A service.toml names them by version: `{python:3.13}` is the interpreter's path, `{venv:3.13}`
the environment built with it (`{venv}` alone stays the harness's shared one). Where no such
interpreter is found, the service fails to build with a sentence that says where it looked, and
the run goes on with the others."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..core.config import ROOT, VENV_DIR
from ..core.errors import InfraError

VENVS_DIR = ROOT / ".bench" / "venvs"
VERSION = re.compile(r"3\.\d{1,2}")


def _check(version: str) -> str:
    if not VERSION.fullmatch(version):
        raise InfraError(f"{{python:{version}}}: a CPython version as MAJOR.MINOR, e.g. 3.13")
    return version


def candidates(version: str) -> list[Path]:
    """Where an interpreter of `version` may be, in the order tried: PATH, pyenv's versions
    (whose shims answer only for the selected version), the system's."""
    name = f"python{version}"
    out = [Path(p) for p in [shutil.which(name)] if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    out += sorted(pyenv.glob(f"{version}.*/bin/{name}"), reverse=True)
    out += [Path(d) / name for d in ("/usr/bin", "/usr/local/bin")]
    return list(dict.fromkeys(out))


def runs_as(path: Path, version: str) -> bool:
    """The file is an interpreter that runs and reports `version` (a pyenv shim for a version
    not selected exits 127)."""
    try:
        r = subprocess.run([str(path), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return False
    return r.returncode == 0 and r.stdout.strip() == version


def find(version: str) -> Path | None:
    return next((p for p in candidates(_check(version)) if p.exists() and runs_as(p, version)), None)


def require(version: str) -> Path:
    found = find(version)
    if found is None:
        looked = ", ".join(str(p) for p in candidates(version)) or "nowhere"
        raise InfraError(f"no CPython {version} on this machine (looked at PATH, pyenv's versions and "
                         f"/usr/bin: {looked}); install one (pyenv install {version}, or your system's "
                         f"python{version} package) to measure this variant")
    return found


def venv_dir(version: str = "") -> Path:
    """The shared environment, or the one built for CPython `version`."""
    return VENV_DIR if not version else VENVS_DIR / f"python{_check(version)}"


class Python:
    """`{python:3.13}` in a service.toml."""

    def __format__(self, spec: str) -> str:
        return str(require(spec)) if spec else "python3"


class Venv:
    """`{venv}` and `{venv:3.13}` in a service.toml."""

    def __format__(self, spec: str) -> str:
        return str(venv_dir(spec))
