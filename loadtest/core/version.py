"""`loadtest --version`: the package's version (pyproject.toml, as installed) and, in a git
checkout, the commit, marked dirty when the harness's files have changes."""

from __future__ import annotations

import argparse
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
DISTRIBUTION = "webstack-bench"  # pyproject.toml's [project] name; the package is loadtest


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def git_commit() -> str | None:
    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", "-C", str(PACKAGE), *args], capture_output=True, text=True,
                               timeout=5, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return None
    return commit + ("-dirty" if git("status", "--porcelain", "--", str(PACKAGE)) else "")


def version_string() -> str:
    commit = git_commit()
    return f"loadtest {package_version()}" + (f" (commit {commit})" if commit else "")


class VersionAction(argparse.Action):
    """--version, computed when asked (git runs only then)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_string())
        parser.exit()
