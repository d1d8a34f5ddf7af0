"""Services bind 127.0.0.1 unless told otherwise (CONTRACT.md: HOST, default 127.0.0.1).

Each service is started from its manifest as the harness would, but with HOST absent from its
environment; the manifest's {host} placeholder gets the harness's own default. Every socket the
process tree listens on must be on loopback. Then HOST=127.0.0.2 must move it there: the
setting is honoured, not ignored.
"""

from __future__ import annotations

import inspect
import os
import subprocess

import psutil
import pytest

from loadtest.core.config import run_dir, service_env
from loadtest.runtime import service
from loadtest.servers import infra, manifest, procs

HARNESS_DEFAULT_HOST = inspect.signature(service.start).parameters["host"].default


@pytest.fixture(scope="module", autouse=True)
def servers():
    infra.up()


def start(name: str, host: str | None) -> service.Running:
    """Start like service.start, except that HOST is set only when `host` is given."""
    m = manifest.load(name)
    service.build(m)
    port = procs.free_port()
    env = {**os.environ, **service_env(name, port, f"security-{name}"), **m.env}
    env.pop("HOST")
    if host:
        env["HOST"] = host
    log = run_dir() / f"{name}-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(m.run_argv(host or HARNESS_DEFAULT_HOST, port), cwd=m.cwd, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    running = service.Running(m, proc.pid, f"http://{host or '127.0.0.1'}:{port}", log, env)
    try:
        service.wait_healthy(running, 60, proc)
    except BaseException:
        running.stop()
        raise
    return running


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket of a process and its descendants."""
    root = psutil.Process(pid)
    out = set()
    for proc in [root, *root.children(recursive=True)]:
        for conn in proc.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN:
                out.add((conn.laddr.ip, conn.laddr.port))
    return out


@pytest.mark.parametrize("host", [None, "127.0.0.2"], ids=["HOST unset", "HOST=127.0.0.2"])
def test_listens_only_where_told(service_name, host):
    running = start(service_name, host)
    try:
        sockets = listening(running.pid)
    finally:
        running.stop()
    port = int(running.base_url.rsplit(":", 1)[1])
    want = host or "127.0.0.1"
    assert (want, port) in sockets, f"{service_name} does not listen on {want}:{port}: {sockets}"
    assert {ip for ip, _ in sockets} == {want}, f"{service_name} listens beyond {want}: {sockets}"
