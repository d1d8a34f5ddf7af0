"""Paths and the one settings file (db/infra.toml) every part of the harness reads.

The environment is read when asked, not at import: BENCH_RUN_DIR and BENCH_PORT_OFFSET give a
second, independent set of servers (fault injection beside a running sweep, a second checkout),
and a command can choose them before it starts anything."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = ROOT / ".bench" / "bin"  # built binaries are shared by every run directory
VENV_DIR = ROOT / ".venv"
SERVICES_DIR = ROOT / "services"
DB_DIR = ROOT / "db"
RESULTS_DIR = ROOT / "results"
SERVER_SECTIONS = ("postgres", "mariadb", "memcached", "external_mock")


def run_dir() -> Path:
    """Where the servers keep data, logs and pid files (git-ignored)."""
    return Path(os.environ.get("BENCH_RUN_DIR", ROOT / ".bench")).resolve()


def port_offset() -> int:
    """Added to every server port of db/infra.toml."""
    return int(os.environ.get("BENCH_PORT_OFFSET", "0"))


def settings() -> dict:
    return _settings(port_offset())


@cache
def _settings(offset: int) -> dict:
    with open(DB_DIR / "infra.toml", "rb") as f:
        data = tomllib.load(f)
    for section in SERVER_SECTIONS:
        data[section]["port"] += offset
    return data


@dataclass(frozen=True)
class Endpoints:
    """Where the shared servers listen, as URLs in the contract's format."""

    database_url: str
    mysql_url: str
    memcached_addr: str
    external_base: str  # the mock's root, e.g. http://127.0.0.1:28081


def endpoints() -> Endpoints:
    s = settings()
    pg, my, mc, mock = s["postgres"], s["mariadb"], s["memcached"], s["external_mock"]
    return Endpoints(
        database_url=f"postgresql://{pg['user']}:{pg['password']}@{pg['host']}:{pg['port']}/{pg['database']}",
        mysql_url=f"mysql://{my['user']}:{my['password']}@{my['host']}:{my['port']}/{my['database']}",
        memcached_addr=f"{mc['host']}:{mc['port']}",
        external_base=f"http://{mock['host']}:{mock['port']}",
    )


def service_env(service: str, port: int | None = None, mock_key: str | None = None) -> dict[str, str]:
    """The contract's environment for one service (CONTRACT.md, "Environment")."""
    s, e = settings()["service"], endpoints()
    return {
        "HOST": s["host"],
        "PORT": str(port or s["port"]),
        "DATABASE_URL": e.database_url,
        "MYSQL_URL": e.mysql_url,
        "MEMCACHED_ADDR": e.memcached_addr,
        # Each service gets its own key on the mock, so tests that make it fail don't collide.
        "EXTERNAL_URL": f"{e.external_base}/external/{mock_key or service}",
        "POOL_SIZE": str(s["pool_size"]),
        "CACHE_TTL_SECONDS": str(s["cache_ttl_seconds"]),
        "EXTERNAL_TIMEOUT_SECONDS": str(s["external_timeout_seconds"]),
    }
