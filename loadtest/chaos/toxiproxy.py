"""Toxiproxy: a real TCP proxy between a service and PostgreSQL, MariaDB and memcached, whose
"toxics" add latency, drop every byte while holding the connection open (a black hole), or
reset connections. The network faults of `loadtest chaos` start the service with its
DATABASE_URL, MYSQL_URL and MEMCACHED_ADDR pointing here, then add one toxic to one proxy.

Built from source with the Go toolchain (`go install`, pinned below) into .bench/bin, by
scripts/setup.sh or on first use; started on loopback like the other servers (its pid file
and log in the run directory) and driven through its HTTP API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ..core.config import BIN_DIR, endpoints, port_offset, run_dir, settings
from ..core.errors import InfraError
from ..servers import procs

VERSION = "v2.12.0"
MODULE = "github.com/Shopify/toxiproxy/v2"
PACKAGE = f"{MODULE}/cmd/server"  # v2.6 moved the server from cmd/ to cmd/server
BINARY = BIN_DIR / "toxiproxy-server"
HOST = "127.0.0.1"
# Base ports, moved by BENCH_PORT_OFFSET like db/infra.toml's. Their last two digits differ
# from every server port's there (32, 06, 11, 81), so with offsets in hundreds no other
# checkout's server can land on one; and base + 6400 stays below the ephemeral range (32768).
API_PORT = 24474
PROXY_PORTS = {"postgres": 24447, "mariadb": 24448, "memcached": 24449}
API_TIMEOUT_S = 5.0


def api_url() -> str:
    return f"http://{HOST}:{API_PORT + port_offset()}"


def listen_port(component: str) -> int:
    return PROXY_PORTS[component] + port_offset()


def installed() -> bool:
    try:
        out = subprocess.run([str(BINARY), "-version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except OSError:
        return False
    return VERSION in out


def install() -> Path:
    """Build the pinned server with `go install` (no prebuilt download) unless it is there.
    go install names the binary after its package (`server`), so it is built in a scratch
    GOBIN and moved; -X sets the version that `-version` prints (otherwise "git")."""
    if installed():
        return BINARY
    go = shutil.which("go")
    if go is None:
        raise InfraError(f"toxiproxy {VERSION} is built with Go, and `go` is not on PATH")
    BIN_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=BIN_DIR) as gobin:
        argv = [go, "install", "-trimpath", f"-ldflags=-X {MODULE}.Version={VERSION}",
                f"{PACKAGE}@{VERSION}"]
        result = subprocess.run(argv, env={**os.environ, "GOBIN": gobin}, capture_output=True,
                                text=True, timeout=900, check=False)
        if result.returncode != 0:
            raise InfraError(f"toxiproxy {VERSION}: `{' '.join(argv)}` failed:\n{result.stderr[-2000:]}")
        os.replace(Path(gobin) / "server", BINARY)
    return BINARY


def _pidfile() -> Path:
    return run_dir() / "toxiproxy.pid"


def running() -> bool:
    return procs.read_pid(_pidfile()) is not None and procs.port_open(HOST, API_PORT + port_offset())


def start() -> None:
    """Start the server (if it is not running) and create the proxies it lacks."""
    if not running():
        binary = install()
        port = API_PORT + port_offset()
        if not procs.port_bindable(HOST, port):
            raise InfraError(f"toxiproxy: port {port} is in use by a process this run did not start")
        run_dir().mkdir(parents=True, exist_ok=True)
        log = run_dir() / "toxiproxy.out"
        with open(log, "ab") as out:
            # Its own session, like the other servers: it outlives a crashed harness
            # (stop() finds it again by its pid file).
            proc = subprocess.Popen([str(binary), "-host", HOST, "-port", str(port)], stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True, env={**os.environ, "LOG_LEVEL": "warn"})
        _pidfile().write_text(str(proc.pid))
        procs.wait_until(lambda: procs.port_open(HOST, port), 15, "toxiproxy", pid=proc.pid, logs=(log,))
    _create_proxies()


def stop() -> None:
    pid = procs.read_pid(_pidfile())
    if pid:
        procs.stop_pid(pid)
    _pidfile().unlink(missing_ok=True)


@contextmanager
def as_found() -> Iterator[None]:
    """Stop the server afterwards if this block started it (a fault starts it on first use)."""
    before = running()
    try:
        yield
    finally:
        if not before:
            stop()


def _upstreams() -> dict[str, str]:
    s = settings()
    return {name: f"{s[name]['host']}:{s[name]['port']}" for name in PROXY_PORTS}


def _create_proxies() -> None:
    existing = _api("GET", "/proxies").json()
    for name, upstream in _upstreams().items():
        wanted = {"name": name, "listen": f"{HOST}:{listen_port(name)}", "upstream": upstream,
                  "enabled": True}
        if name in existing and existing[name]["upstream"] == upstream:
            continue
        if name in existing:
            _api("DELETE", f"/proxies/{name}")
        _api("POST", "/proxies", json=wanted)


def reset() -> None:
    """Every proxy enabled and without toxics."""
    _api("POST", "/reset")


def add_toxic(proxy: str, name: str, kind: str, stream: str, **attributes: int) -> None:
    _api("POST", f"/proxies/{proxy}/toxics",
         json={"name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes})


def remove_toxic(proxy: str, name: str) -> None:
    _api("DELETE", f"/proxies/{proxy}/toxics/{name}")


def _api(method: str, path: str, json: dict | None = None) -> httpx.Response:
    resp = httpx.request(method, api_url() + path, json=json, timeout=API_TIMEOUT_S)
    if resp.status_code >= 400:
        raise InfraError(f"toxiproxy {method} {path}: {resp.status_code} {resp.text[:300]}")
    return resp


def service_env() -> dict[str, str]:
    """The contract's database and cache addresses, through the proxies."""
    s, e = settings(), endpoints()
    pg, my = s["postgres"], s["mariadb"]
    return {
        "DATABASE_URL": e.database_url.replace(f"{pg['host']}:{pg['port']}", f"{HOST}:{listen_port('postgres')}"),
        "MYSQL_URL": e.mysql_url.replace(f"{my['host']}:{my['port']}", f"{HOST}:{listen_port('mariadb')}"),
        "MEMCACHED_ADDR": f"{HOST}:{listen_port('memcached')}",
    }


if __name__ == "__main__":
    # scripts/setup.sh: `python -m loadtest.chaos.toxiproxy install` (the pin lives here only).
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m loadtest.chaos.toxiproxy install")
    if not installed():
        print(f"setup: building toxiproxy {VERSION} with go install (about a minute)", flush=True)
        print(f"setup: toxiproxy {VERSION} is {install()}")
