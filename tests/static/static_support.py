"""Shared helpers of the static container checks: paths, the services, and the pinned tools."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = ROOT / ".bench" / "tools" / "bin"



def _manifests() -> dict[str, dict]:
    """services/<name>/service.toml, by folder name: the list the harness itself measures."""
    out = {}
    for path in sorted((ROOT / "services").glob("*/service.toml")):
        with open(path, "rb") as f:
            out[path.parent.name] = tomllib.load(f)
    return out


MANIFESTS = _manifests()
# The services under test, each with a compose profile, a Prometheus target and a Kubernetes
# overlay; `contract = false` marks the external mock, which runs beside them (as in
# loadtest/servers/manifest.py). Every manifest has a container image.
SERVICES = [name for name, m in MANIFESTS.items() if m.get("contract", True)]
HELPERS = [name for name, m in MANIFESTS.items() if not m.get("contract", True)]
IMAGES = [*SERVICES, *HELPERS]


def manifest(name: str) -> dict:
    path = ROOT / "services" / name / "service.toml"
    if not path.exists():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: the container must run its `run` command"
        )
    with open(path, "rb") as f:
        return tomllib.load(f)


def tool(name: str) -> str:
    """The path of a pinned tool; a failure under CI=true, a skip otherwise."""
    path = TOOLS_BIN / name  # only the pinned install: a system copy may be another version
    if path.exists():
        return str(path)
    message = f"{name} not installed: run compose/install-tools.sh (installs into {TOOLS_BIN})"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def infra_settings() -> dict:
    with open(ROOT / "db" / "infra.toml", "rb") as f:
        return tomllib.load(f)


def container_env(service: str) -> dict[str, str]:
    """The contract's environment inside compose and Kubernetes: db/infra.toml's credentials and
    [service] values, the servers by their in-cluster names and default ports."""
    s = infra_settings()
    pg, my, svc = s["postgres"], s["mariadb"], s["service"]
    return {
        "HOST": "0.0.0.0",
        "PORT": "8000",
        "DATABASE_URL": f"postgresql://{pg['user']}:{pg['password']}@postgres:5432/{pg['database']}",
        "MYSQL_URL": f"mysql://{my['user']}:{my['password']}@mysql:3306/{my['database']}",
        "MEMCACHED_ADDR": "memcached:11211",
        "EXTERNAL_URL": f"http://external-mock:{s['external_mock']['port']}/external/{service}",
        "POOL_SIZE": str(svc["pool_size"]),
        "CACHE_TTL_SECONDS": str(svc["cache_ttl_seconds"]),
        "EXTERNAL_TIMEOUT_SECONDS": str(svc["external_timeout_seconds"]),
    }
