"""Read services/<name>/service.toml: the only place the harness learns about a service."""

from __future__ import annotations

import os
import shlex
import shutil
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.config import BIN_DIR, ROOT, SERVICES_DIR
from ..core.errors import ManifestError
from . import interpreters, variants


@dataclass(frozen=True)
class Manifest:
    name: str
    summary: str
    language: str
    cwd: Path
    run: str
    build: str = ""
    test: str = ""  # the service's own unit tests and linters, run in cwd
    workers: int = 1
    threads: int = 1  # request threads per worker (django's gthread); documentation
    contract: bool = True  # False for the external mock: not a service under test
    env: dict[str, str] = field(default_factory=dict)
    bin: Path = BIN_DIR  # where its build puts binaries (a variant has its own)
    variant: str = ""  # what the variant's patch changes; "" for the service itself

    def _fill(self, template: str, host: str = "127.0.0.1", port: int = 0) -> str:
        return template.format(root=ROOT, bin=self.bin, venv=interpreters.Venv(), python=interpreters.Python(),
                               host=host, port=port, uv=shlex.quote(uv_binary()))

    def run_argv(self, host: str, port: int) -> list[str]:
        """The server's command line: exec'd directly, so its pid is the server's."""
        return shlex.split(self._fill(self.run, host, port))

    def build_argv(self) -> list[str]:
        return ["bash", "-ec", self._fill(self.build)] if self.build else []

    def test_argv(self) -> list[str]:
        return ["bash", "-ec", self._fill(self.test)] if self.test else []


def uv_binary() -> str:
    """The uv that runs the harness (`uv run` says which in $UV), else the one on PATH."""
    return os.environ.get("UV") or shutil.which("uv") or "uv"


def load(name: str) -> Manifest:
    base, variant = variants.split(name)
    if variant is not None:
        return _load_variant(name, base, variant)
    path = SERVICES_DIR / name / "service.toml"
    if not path.exists():
        known = ", ".join(m.name for m in load_all()) or "none"
        raise ManifestError(f"unknown service {name!r} (no {path.relative_to(ROOT)}); known: {known}")
    with open(path, "rb") as f:
        data = tomllib.load(f)
    missing = {"name", "summary", "language", "run"} - data.keys()
    if missing:
        raise ManifestError(f"{path}: missing {', '.join(sorted(missing))}")
    if data["name"] != name:
        raise ManifestError(f"{path}: name {data['name']!r} differs from its folder {name!r}")
    return _from_data(name, data)


def _from_data(name: str, data: dict) -> Manifest:
    return Manifest(
        name=name,
        summary=data["summary"],
        language=data["language"],
        cwd=ROOT / data.get("cwd", f"services/{name}"),
        run=data["run"],
        build=data.get("build", ""),
        test=data.get("test", ""),
        workers=int(data.get("workers", 1)),
        threads=int(data.get("threads", 1)),
        contract=bool(data.get("contract", True)),
        env={k: str(v) for k, v in data.get("env", {}).items()},
    )


def _load_variant(name: str, base: str, variant: str) -> Manifest:
    """The service's manifest as the variant's patch left it, run from the variant's folder."""
    load(base)  # an unknown service fails as one
    folder = variants.materialize(name)
    with open(folder / "service.toml", "rb") as f:
        data = tomllib.load(f)
    plain = _from_data(base, data)
    bin_dir = variants.bin_dir(name)
    bin_dir.mkdir(parents=True, exist_ok=True)
    change = variants.description(name)
    return replace(plain, name=name, summary=f"{base} variant: {change}", cwd=folder, bin=bin_dir, variant=change)


def load_all(include_mock: bool = False) -> list[Manifest]:
    out = []
    for path in sorted(SERVICES_DIR.glob("*/service.toml")):
        m = load(path.parent.name)
        if m.contract or include_mock:
            out.append(m)
    return out
