"""Start and stop the real servers the contract needs, natively on loopback.

PostgreSQL (15 to 17), MariaDB (10.11, 11.x) and memcached come from the distribution's
packages (loadtest/servers/binaries.py finds them); the external mock is built from
services/external_mock. Everything lives in .bench/ (git-ignored), listens on the non-default
ports of db/infra.toml, and is started idempotently: `up` twice is a no-op, `down` stops only
what `up` started. As root, each server runs as its own Debian system user.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pymysql
from psycopg import sql

from ..core.config import BIN_DIR, DB_DIR, ROOT, SERVICES_DIR, endpoints, run_dir, settings
from ..core.errors import InfraError
from . import binaries, procs

APT_HINT = "apt-get install -y {pkg}   (or `make setup` as root)"
SERVERS = ("postgres", "mariadb", "memcached", "external_mock")  # in start order


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_user(user: str, argv: list[str]) -> list[str]:
    """Run argv as a system user when we are root; servers refuse to run as root."""
    return ["runuser", "-u", user, "--", *argv] if _is_root() else argv


def _require(path: str | Path, pkg: str) -> str:
    found = shutil.which(str(path)) if not Path(path).is_absolute() else (str(path) if Path(path).exists() else None)
    if not found:
        raise InfraError(f"{path} not found: install it with `{APT_HINT.format(pkg=pkg)}`")
    return found


def _short_dir() -> Path:
    """A short path for Unix sockets (limited to ~100 bytes), unique to this checkout."""
    d = Path(tempfile.gettempdir()) / f"wsb-{hashlib.sha1(str(run_dir()).encode()).hexdigest()[:8]}"
    d.mkdir(mode=0o755, exist_ok=True)
    return d


def _data_dir(name: str, owner: str) -> Path:
    """.bench/<name>, owned by the server's user. If that user cannot reach the checkout
    (a clone under a private 0700 directory), keep the data in /var/tmp and link it."""
    path = run_dir() / name
    if not _is_root():
        path.mkdir(parents=True, exist_ok=True)
        return path
    probe = subprocess.run(_as_user(owner, ["test", "-x", str(run_dir())]), capture_output=True, check=False)
    if probe.returncode != 0 and not path.is_symlink():
        outside = Path("/var/tmp") / f"wsb-{hashlib.sha1(str(run_dir()).encode()).hexdigest()[:8]}" / name
        outside.mkdir(parents=True, exist_ok=True)
        path.symlink_to(outside)
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    shutil.chown(path, owner, owner)
    return path


def _spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    """Start a server detached in its own session; it outlives this Python process."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env, cwd=ROOT,
        )
    return proc.pid


def _pidfile(name: str) -> Path:
    return run_dir() / f"{name}.pid"


@dataclass
class Status:
    name: str
    running: bool
    address: str


# --- PostgreSQL -------------------------------------------------------------------------

def _pg_admin_password() -> str:
    f = run_dir() / "postgres-admin-password"
    if not f.exists():
        f.write_text(secrets.token_hex(16))
        f.chmod(0o600)
    return f.read_text().strip()


def _pg_running() -> bool:
    s = settings()["postgres"]
    return (run_dir() / "postgres-data" / "postmaster.pid").exists() and procs.port_open(s["host"], s["port"])


def require_listening() -> None:
    """For servers someone else runs on the configured ports (the compose stack under
    `sweep --runtime compose`): check that each answers, start nothing."""
    for name in SERVERS:
        s = settings()[name]
        if not procs.port_open(s["host"], s["port"]):
            raise InfraError(f"{name}: nothing answers on {s['host']}:{s['port']}")


def start_postgres() -> None:
    s = settings()["postgres"]
    pg = binaries.postgres(data_dir=run_dir() / "postgres-data")
    pg_ctl = pg["pg_ctl"]
    owner = "postgres" if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
    data = _data_dir("postgres-data", owner)
    if not (data / "PG_VERSION").exists():
        pwfile = data.parent / "postgres-pwfile" if not _is_root() else Path(tempfile.mkstemp()[1])
        pwfile.write_text(_pg_admin_password() + "\n")
        if _is_root():
            shutil.chown(pwfile, owner)
        subprocess.run(
            _as_user(owner, [pg["initdb"], "-D", str(data), "-U", "postgres",
                             f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
                             "--locale=C.UTF-8"]),
            check=True, capture_output=True,
        )
        pwfile.unlink()
    options = " ".join(f"-c {k}={v!s}" if v != "" else f"-c {k}=''" for k, v in s["settings"].items())
    log = data / "server.log"
    result = subprocess.run(
        _as_user(owner, [pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60",
                         "-o", f"-p {s['port']} {options}", "start"]),
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise InfraError(f"PostgreSQL did not start: {result.stderr.strip()}{procs.log_tail(log)}")
    procs.wait_until(lambda: procs.port_open(s["host"], s["port"]), 30, "PostgreSQL", logs=(log,))
    _pg_bootstrap()


def _pg_bootstrap() -> None:
    """Create the bench role and database, then apply the schema and seed (idempotent)."""
    s = settings()["postgres"]
    admin = {"host": s["host"], "port": s["port"], "user": "postgres",
             "password": _pg_admin_password(), "connect_timeout": 5}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (s["user"],)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(s["user"]), sql.Literal(s["password"])))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (s["database"],)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(s["database"]), sql.Identifier(s["user"])))
    with psycopg.connect(endpoints().database_url, connect_timeout=5, autocommit=True) as conn:
        conn.execute((DB_DIR / "postgres" / "schema.sql").read_text())


def stop_postgres() -> None:
    data = run_dir() / "postgres-data"
    if not (data / "postmaster.pid").exists():
        return
    owner = "postgres" if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
    pg_ctl = binaries.postgres(data_dir=data)["pg_ctl"]
    subprocess.run(_as_user(owner, [pg_ctl, "-D", str(data.resolve()), "-m", "fast", "-w", "stop"]),
                   capture_output=True, check=False)


# --- MariaDB ----------------------------------------------------------------------------

def _mariadb_socket() -> Path:
    return _short_dir() / "mariadb" / "mariadb.sock"


def _mariadb_running() -> bool:
    s = settings()["mariadb"]
    return procs.read_pid(_pidfile("mariadb")) is not None and procs.port_open(s["host"], s["port"])


def start_mariadb() -> None:
    s = settings()["mariadb"]
    found = binaries.mariadb()
    mariadbd, install_db = found["server"], found["install_db"]
    owner = "mysql" if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
    data = _data_dir("mariadb-data", owner)
    _mariadb_socket().parent.mkdir(exist_ok=True)
    if _is_root():
        shutil.chown(_mariadb_socket().parent, owner, owner)
    cnf = run_dir() / "mariadb.cnf"
    lines = ["[mysqld]", f"datadir={data}", f"port={s['port']}", f"socket={_mariadb_socket()}",
             f"log-error={data / 'server.log'}"]
    lines += [f"{k}={v}" for k, v in s["settings"].items()]
    cnf.write_text("\n".join(lines) + "\n")
    cnf.chmod(0o644)
    if not (data / "mysql").exists():
        subprocess.run([install_db, "--no-defaults", f"--datadir={data}", f"--user={owner}",
                        "--skip-test-db", "--auth-root-authentication-method=socket"],
                       check=True, capture_output=True)
    pid = _spawn([mariadbd, f"--defaults-file={cnf}", f"--user={owner}"], run_dir() / "mariadb.out")
    _pidfile("mariadb").write_text(str(pid))
    procs.wait_until(lambda: _mariadb_socket().exists() and procs.port_open(s["host"], s["port"]), 60,
                     "MariaDB", pid=pid,
                     logs=(run_dir() / "mariadb.out", data / "server.log"))
    _mariadb_bootstrap()


def _mariadb_bootstrap() -> None:
    s = settings()["mariadb"]
    client = binaries.mariadb()["client"]
    admin_user = "root" if _is_root() else pwd.getpwuid(os.geteuid()).pw_name
    user, pw, db = s["user"], s["password"], s["database"]
    setup = (
        f"CREATE DATABASE IF NOT EXISTS `{db}`;"
        f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '{pw}';"
        f"GRANT ALL PRIVILEGES ON `{db}`.* TO '{user}'@'%';"
    )
    subprocess.run([client, f"--socket={_mariadb_socket()}", "-u", admin_user, "-e", setup],
                   check=True, capture_output=True)
    conn = pymysql.connect(host=s["host"], port=s["port"], user=user, password=pw, database=db,
                           connect_timeout=5, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute((DB_DIR / "mysql" / "schema.sql").read_text())


def _stop_spawned(name: str, timeout: float = 15.0) -> None:
    """Stop a server started by _spawn (its pid file says which) and forget its pid."""
    pid = procs.read_pid(_pidfile(name))
    if pid:
        procs.stop_pid(pid, timeout=timeout)
    _pidfile(name).unlink(missing_ok=True)


def stop_mariadb() -> None:
    _stop_spawned("mariadb", timeout=30)


# --- memcached --------------------------------------------------------------------------

def _memcached_running() -> bool:
    s = settings()["memcached"]
    return procs.read_pid(_pidfile("memcached")) is not None and procs.port_open(s["host"], s["port"])


def start_memcached() -> None:
    s = settings()["memcached"]
    binary = binaries.memcached()["memcached"]
    argv = [binary, "-l", s["host"], "-p", str(s["port"]), "-U", "0",
            "-m", str(s["memory_mb"]), "-c", str(s["max_connections"])]
    if _is_root():
        argv += ["-u", "memcache"]
    pid = _spawn(argv, run_dir() / "memcached.out")
    _pidfile("memcached").write_text(str(pid))
    procs.wait_until(lambda: procs.port_open(s["host"], s["port"]), 15, "memcached", pid=pid,
                     logs=(run_dir() / "memcached.out",))


def stop_memcached() -> None:
    _stop_spawned("memcached")


# --- external mock ----------------------------------------------------------------------

def build_mock() -> Path:
    """Build the Go mock when its binary is missing or older than its sources."""
    binary = BIN_DIR / "external_mock"
    src = SERVICES_DIR / "external_mock"
    newest = max(p.stat().st_mtime for p in src.iterdir() if p.suffix in {".go", ".mod", ".sum"})
    if not binary.exists() or binary.stat().st_mtime < newest:
        go = _require("go", "golang (or the Go toolchain)")
        BIN_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "build", "-trimpath", "-o", str(binary), "."], cwd=src, check=True)
    return binary


def _mock_running() -> bool:
    s = settings()["external_mock"]
    return procs.read_pid(_pidfile("external_mock")) is not None and procs.port_open(s["host"], s["port"])


def start_external_mock() -> None:
    s = settings()["external_mock"]
    env = {**os.environ, "HOST": s["host"], "PORT": str(s["port"]), "DELAY_MS": str(s["delay_ms"])}
    pid = _spawn([str(build_mock())], run_dir() / "external_mock.out", env=env)
    _pidfile("external_mock").write_text(str(pid))
    procs.wait_until(lambda: procs.port_open(s["host"], s["port"]), 15, "external mock", pid=pid,
                     logs=(run_dir() / "external_mock.out",))


def stop_external_mock() -> None:
    _stop_spawned("external_mock")


# --- all of them ------------------------------------------------------------------------

_RUNNING = {"postgres": _pg_running, "mariadb": _mariadb_running,
            "memcached": _memcached_running, "external_mock": _mock_running}
_START = {"postgres": start_postgres, "mariadb": start_mariadb,
          "memcached": start_memcached, "external_mock": start_external_mock}
_STOP = {"postgres": stop_postgres, "mariadb": stop_mariadb,
         "memcached": stop_memcached, "external_mock": stop_external_mock}


def start(name: str) -> None:
    """Start one server unless it already runs (used by `up` and by fault injection)."""
    run_dir().mkdir(parents=True, exist_ok=True)
    if not _RUNNING[name]():
        section = settings()["mariadb" if name == "mariadb" else name]
        if not procs.port_bindable(section["host"], section["port"]):
            raise InfraError(
                f"{name}: port {section['port']} is in use by a process this run directory ({run_dir()}) "
                "did not start (another checkout's server? stop it with its `loadtest infra down`, "
                "or set BENCH_PORT_OFFSET); `ss -tanp` shows who holds it")
        _START[name]()
    elif name == "postgres":
        _pg_bootstrap()
    elif name == "mariadb":
        _mariadb_bootstrap()


def stop(name: str) -> None:
    _STOP[name]()


def up() -> None:
    for name in SERVERS:
        start(name)


def down() -> None:
    for name in reversed(SERVERS):
        stop(name)


@contextmanager
def as_found() -> Iterator[None]:
    """Every server up inside; afterwards stop only the ones this block started."""
    before = {s.name: s.running for s in status()}
    up()
    try:
        yield
    finally:
        for name in reversed(SERVERS):
            if not before.get(name):
                stop(name)


def status() -> list[Status]:
    s = settings()
    addr = {"postgres": s["postgres"], "mariadb": s["mariadb"], "memcached": s["memcached"],
            "external_mock": s["external_mock"]}
    return [Status(n, _RUNNING[n](), f"{addr[n]['host']}:{addr[n]['port']}") for n in SERVERS]


def server_pids() -> dict[str, int]:
    """Main pid of each running server, for CPU accounting by the harness."""
    out: dict[str, int] = {}
    pg = run_dir() / "postgres-data" / "postmaster.pid"
    if pg.exists():
        out["postgres"] = int(pg.read_text().split()[0])
    for name in ("mariadb", "memcached", "external_mock"):
        pid = procs.read_pid(_pidfile(name))
        if pid:
            out[name] = pid
    return out
