"""Variants of a service: `<service>~<variant>` is the service with one patch applied.

A variant is one file, services/<service>/variants/<variant>.patch: a few lines saying what it
changes and why it is measured, then a unified diff against the service's folder (paths as
`a/app/main.py`; `git diff --relative services/<service>` makes one). The harness copies the
folder to .bench/variants/<service>~<variant>/, applies the patch there and runs the copy like
any other service: same contract gate, own port, own cgroup, interleaved with the others. This
is how a tuning step is measured: the service against itself without that one step.

A variant named `python3.X` is an interpreter variant: the service on another CPython, found on
the machine (servers/interpreters.py). `<service>~all` names a service's steps, not these.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..core.config import BIN_DIR, ROOT, SERVICES_DIR
from ..core.errors import ManifestError

SEPARATOR = "~"
VARIANTS_DIR = ROOT / ".bench" / "variants"
# Not copied: the variants themselves, the service's own tests and anything built.
IGNORED = ("variants", "tests", "__pycache__", ".venv", "target", "node_modules", ".pytest_cache")
_STAMP = ".variant-source"
INTERPRETER = re.compile(r"python3\.\d{1,2}")


def split(name: str) -> tuple[str, str | None]:
    """"fastapi_tuned~uvicorn" -> ("fastapi_tuned", "uvicorn"); a plain name -> (name, None)."""
    base, sep, variant = name.partition(SEPARATOR)
    return base, (variant if sep else None)


def patch_file(base: str, variant: str) -> Path:
    return SERVICES_DIR / base / "variants" / f"{variant}.patch"


def names(base: str, steps_only: bool = False) -> list[str]:
    """Every variant of a service, as `<service>~<variant>`; `steps_only`: without the
    interpreter variants."""
    stems = [p.stem for p in sorted((SERVICES_DIR / base / "variants").glob("*.patch"))]
    return [f"{base}{SEPARATOR}{s}" for s in stems if not (steps_only and INTERPRETER.fullmatch(s))]


def expand(services: list[str] | None) -> list[str]:
    """`SERVICE~all` -> every step of SERVICE (its variants but the interpreter ones), in order;
    other names as given."""
    out: list[str] = []
    for name in services or []:
        base, variant = split(name)
        out.extend(names(base, steps_only=True) if variant == "all" else [name])
    return out


def description(name: str) -> str:
    """The first paragraph of `<service>~<variant>`'s patch: what the variant changes."""
    head = patch_file(*split(name)).read_text().split("\ndiff --git", 1)[0]
    return " ".join(head.strip().split("\n\n", 1)[0].split())


def folder(name: str) -> Path:
    return VARIANTS_DIR / name


def bin_dir(name: str) -> Path:
    """Where a variant's build puts its binaries, so it never overwrites the service's own."""
    return BIN_DIR / name


def materialize(name: str) -> Path:
    """The variant's folder, made again only when the service or the patch changed (a running
    variant is never rewritten under itself)."""
    base, variant = split(name)
    source, patch = SERVICES_DIR / base, patch_file(base, variant or "")
    if variant is None or not patch.is_file():
        known = ", ".join(names(base)) or "none"
        raise ManifestError(f"unknown variant {name!r} (no {patch.relative_to(ROOT)}); known: {known}")
    target, stamp = folder(name), fingerprint(source, patch)
    if (target / _STAMP).is_file() and (target / _STAMP).read_text() == stamp:
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*IGNORED))
    # Outside any repository (the ceiling stops git's search), `git apply` patches plain files.
    applied = subprocess.run(["git", "apply", "-p1", str(patch)], cwd=target, capture_output=True, text=True,
                             check=False, env={**os.environ, "GIT_CEILING_DIRECTORIES": str(target.parent)})
    if applied.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise ManifestError(f"{patch.relative_to(ROOT)} does not apply to services/{base}: "
                            f"{applied.stderr.strip()}")
    (target / _STAMP).write_text(stamp)
    return target


def fingerprint(source: Path, patch: Path) -> str:
    """sha256 over the service's files (those copied) and the patch."""
    h = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_file() and not set(rel.parts) & set(IGNORED):
            h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(patch.read_bytes())
    return h.hexdigest()
