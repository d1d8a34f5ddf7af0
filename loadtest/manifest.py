"""Read services/<name>/service.toml: the only place the harness learns about a service."""

from __future__ import annotations

import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .config import BIN_DIR, ROOT, SERVICES_DIR, VENV_DIR
from .errors import ManifestError


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

    def _fill(self, template: str, host: str = "127.0.0.1", port: int = 0) -> str:
        return template.format(root=ROOT, bin=BIN_DIR, venv=VENV_DIR, host=host, port=port)

    def run_argv(self, host: str, port: int) -> list[str]:
        """The server's command line: exec'd directly, so its pid is the server's."""
        return shlex.split(self._fill(self.run, host, port))

    def build_argv(self) -> list[str]:
        return ["bash", "-ec", self._fill(self.build)] if self.build else []

    def test_argv(self) -> list[str]:
        return ["bash", "-ec", self._fill(self.test)] if self.test else []


def load(name: str) -> Manifest:
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


def load_all(include_mock: bool = False) -> list[Manifest]:
    out = []
    for path in sorted(SERVICES_DIR.glob("*/service.toml")):
        m = load(path.parent.name)
        if m.contract or include_mock:
            out.append(m)
    return out
