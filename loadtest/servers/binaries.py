"""Find the server binaries the harness starts natively: PostgreSQL, MariaDB, memcached.

Distributions lay them out differently and ship different majors: Debian 12 has PostgreSQL 15
and MariaDB 10.11, Ubuntu 24.04 PostgreSQL 16 and MariaDB 10.11, Debian 13 PostgreSQL 17 and
MariaDB 11.8. Every function takes what it searches (environment, directories) as arguments
with the real machine as default, so tests/unit/test_binaries.py runs them on fake layouts.

PostgreSQL, in order:
1. BENCH_PG_BINDIR: a bin directory holding postgres, initdb and pg_ctl (any version);
2. `pg_config --bindir`, when that directory is a server install of a supported major
   (Debian's pg_config without a server points at a directory with no `postgres`);
3. the versioned Debian/Ubuntu layout /usr/lib/postgresql/<N>/bin, highest supported N first.
A data directory already initialised by one major can only be started by that major, so a
caller passing `data_dir` gets the major recorded in its PG_VERSION when it is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InfraError

PG_MAJORS = (15, 16, 17)  # supported, oldest first
PG_VERSIONED_ROOT = Path("/usr/lib/postgresql")
PG_TOOLS = ("postgres", "initdb", "pg_ctl")
SYSTEM_DIRS = (Path("/usr/sbin"), Path("/usr/bin"), Path("/usr/local/sbin"), Path("/usr/local/bin"))
INSTALL = "install it with `{cmd}` (or run `make setup` as root)"


class BinaryNotFound(InfraError):
    """A server binary is missing or of an unsupported version; the message says what to do."""


@dataclass(frozen=True)
class Found:
    """One server: its binaries, its version, and how it was found (for messages and results)."""

    name: str
    version: str | None  # e.g. "15.18", "10.11.19"; None when the binary did not say
    source: str  # "BENCH_PG_BINDIR", "pg_config", "/usr/lib/postgresql/16/bin", "PATH", ...
    paths: dict[str, str]

    def __getitem__(self, tool: str) -> str:
        return self.paths[tool]

    @property
    def major(self) -> int | None:
        return int(self.version.split(".")[0]) if self.version else None


def _run_version(argv: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(argv), capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (out.stdout or out.stderr).strip()


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def parse_pg_version(text: str) -> str | None:
    """`postgres (PostgreSQL) 16.4 (Ubuntu 16.4-1)` or `PostgreSQL 15.18` -> '16.4'."""
    m = re.search(r"PostgreSQL\)?\s+(\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


def parse_mariadb_version(text: str) -> str | None:
    """`mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 ...` -> '10.11.19'; None when not MariaDB
    (Oracle MySQL's mysqld says `Ver 8.0.36 for Linux`)."""
    m = re.search(r"Ver\s+(\d+\.\d+\.\d+)-MariaDB", text)
    return m.group(1) if m else None


def parse_memcached_version(text: str) -> str | None:
    m = re.search(r"memcached\s+(\d+\.\d+\.\d+)", text)
    return m.group(1) if m else None


# --- PostgreSQL -------------------------------------------------------------------------------

def _pg_in(bindir: Path) -> dict[str, str] | None:
    paths = {t: bindir / t for t in PG_TOOLS}
    return {t: str(p) for t, p in paths.items()} if all(map(_executable, paths.values())) else None


def _pg_config_bindir(pg_config: str | None) -> tuple[Path, str | None] | None:
    if not pg_config:
        return None
    bindir = _run_version([pg_config, "--bindir"])
    if not bindir or "\n" in bindir:
        return None
    return Path(bindir), parse_pg_version(_run_version([pg_config, "--version"]))


def postgres(env: Mapping[str, str] | None = None, *, pg_config: str | None = "",
             versioned_root: Path = PG_VERSIONED_ROOT, majors: Sequence[int] = PG_MAJORS,
             data_dir: Path | None = None) -> Found:
    """The PostgreSQL server to run (see the module docstring for the order).

    pg_config: the pg_config to ask; "" looks it up on PATH, None skips it."""
    env = os.environ if env is None else env
    override = env.get("BENCH_PG_BINDIR", "")
    if override:
        paths = _pg_in(Path(override))
        if not paths:
            raise BinaryNotFound(f"BENCH_PG_BINDIR={override} does not hold {', '.join(PG_TOOLS)}")
        version = parse_pg_version(_run_version([paths["postgres"], "--version"]))
        return Found("postgres", version, "BENCH_PG_BINDIR", paths)

    wanted = None  # the major an existing data directory needs
    if data_dir is not None and (data_dir / "PG_VERSION").is_file():
        text = (data_dir / "PG_VERSION").read_text().strip()
        wanted = int(text) if text.isdigit() else None

    candidates: list[Found] = []
    seen_unsupported: list[str] = []
    if pg_config == "":
        pg_config = shutil.which("pg_config", path=env.get("PATH"))
    from_pg_config = _pg_config_bindir(pg_config)
    if from_pg_config:
        bindir, version = from_pg_config
        paths = _pg_in(bindir)
        major = int(version.split(".")[0]) if version else None
        if paths and major in majors:
            candidates.append(Found("postgres", version, "pg_config", paths))
        elif paths:
            seen_unsupported.append(f"{bindir} (PostgreSQL {version or 'of unknown version'})")
    for major in sorted(majors, reverse=True):
        bindir = versioned_root / str(major) / "bin"
        paths = _pg_in(bindir)
        if paths and all(c.paths != paths for c in candidates):
            version = parse_pg_version(_run_version([paths["postgres"], "--version"])) or str(major)
            candidates.append(Found("postgres", version, str(bindir), paths))

    if wanted is not None:
        match = [c for c in candidates if c.major == wanted]
        if match:
            return match[0]
        have = ", ".join(f"{c.major} ({c.source})" for c in candidates) or "none"
        raise BinaryNotFound(
            f"{data_dir} was initialised by PostgreSQL {wanted}, which is not installed "
            f"(found: {have}): {INSTALL.format(cmd=f'apt-get install -y postgresql-{wanted}')}, "
            f"or remove {data_dir} to start afresh with the installed server")
    if candidates:
        return candidates[0]
    supported = ", ".join(map(str, majors))
    also = f"; unsupported: {', '.join(seen_unsupported)}" if seen_unsupported else ""
    raise BinaryNotFound(
        f"no PostgreSQL server ({supported}) found: looked at BENCH_PG_BINDIR, pg_config and "
        f"{versioned_root}/<{'|'.join(map(str, majors))}>/bin{also}. "
        f"{INSTALL.format(cmd='apt-get install -y postgresql').capitalize()}, "
        "or set BENCH_PG_BINDIR to the bin directory of a server install")


# --- MariaDB, memcached -----------------------------------------------------------------------

def _search(names: Sequence[str], env: Mapping[str, str], dirs: Sequence[Path]) -> tuple[str, str] | None:
    """The first of names on PATH, else in dirs: (path, where)."""
    for name in names:
        hit = shutil.which(name, path=env.get("PATH", ""))
        if hit:
            return hit, "PATH"
        for d in dirs:
            if _executable(d / name):
                return str(d / name), str(d)
    return None


def mariadb_supported(version: str) -> bool:
    major, minor = (int(x) for x in version.split(".")[:2])
    return (major, minor) >= (10, 11) and major <= 11


def mariadb(env: Mapping[str, str] | None = None, dirs: Sequence[Path] = SYSTEM_DIRS) -> Found:
    """MariaDB 10.11 or 11.x: the server (mariadbd, or mysqld on older packages), its
    install-db script and the command-line client."""
    env = os.environ if env is None else env
    hint = INSTALL.format(cmd="apt-get install -y mariadb-server mariadb-client")
    server = _search(("mariadbd", "mysqld"), env, dirs)
    if not server:
        raise BinaryNotFound(f"no MariaDB server (mariadbd or mysqld on PATH or in "
                             f"{', '.join(map(str, dirs))}): {hint}")
    text = _run_version([server[0], "--version"])
    version = parse_mariadb_version(text)
    if not version:
        raise BinaryNotFound(f"{server[0]} is not MariaDB ({text or 'no --version output'}): {hint}")
    if not mariadb_supported(version):
        raise BinaryNotFound(f"{server[0]} is MariaDB {version}; 10.11 or 11.x is supported: {hint}")
    install_db = _search(("mariadb-install-db", "mysql_install_db"), env, dirs)
    client = _search(("mariadb", "mysql"), env, dirs)
    if not install_db or not client:
        raise BinaryNotFound(f"MariaDB {version} at {server[0]} lacks "
                             f"{'mariadb-install-db' if not install_db else 'its client `mariadb`'}: {hint}")
    return Found("mariadb", version, server[1],
                 {"server": server[0], "install_db": install_db[0], "client": client[0]})


def memcached(env: Mapping[str, str] | None = None, dirs: Sequence[Path] = SYSTEM_DIRS) -> Found:
    env = os.environ if env is None else env
    hit = _search(("memcached",), env, dirs)
    if not hit:
        raise BinaryNotFound(f"memcached not found: {INSTALL.format(cmd='apt-get install -y memcached')}")
    version = parse_memcached_version(_run_version([hit[0], "-V"]))
    return Found("memcached", version, hit[1], {"memcached": hit[0]})


def versions(pg_data_dir: Path | None = None) -> dict[str, str | None]:
    """The version of each server binary the harness starts; None where not found."""
    out: dict[str, str | None] = {}
    for name, find in (("postgres", lambda: postgres(data_dir=pg_data_dir)),
                       ("mariadb", mariadb), ("memcached", memcached)):
        try:
            out[name] = find().version
        except InfraError:
            out[name] = None
    return out
