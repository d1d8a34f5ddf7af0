"""Start-up failures of a server must explain themselves in the error, since CI keeps no files."""

from __future__ import annotations

import socket
import subprocess

import pytest

from loadtest.servers import procs


def _never() -> bool:
    return False


def test_a_server_that_exits_reports_its_status_and_log(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("[Note] starting\n[ERROR] Can't start server: Bind on TCP/IP port\n")
    child = subprocess.Popen(["sh", "-c", "exit 3"])
    with pytest.raises(procs.InfraError) as err:
        procs.wait_until(_never, 30, "MariaDB", pid=child.pid, logs=(log,))
    message = str(err.value)
    assert "exited during start-up (exit code 3)" in message
    assert "Bind on TCP/IP port" in message
    assert "[Note]" not in message


def test_a_server_killed_by_a_signal_says_which(tmp_path):
    child = subprocess.Popen(["sh", "-c", "kill -9 $$"])
    with pytest.raises(procs.InfraError, match=r"killed by SIGKILL\); no log at .*missing\.log"):
        procs.wait_until(_never, 30, "memcached", pid=child.pid, logs=(tmp_path / "missing.log",))


def test_a_server_that_never_gets_ready_times_out_with_its_log(tmp_path):
    log = tmp_path / "out.log"
    log.write_text("still recovering\n")
    with pytest.raises(procs.InfraError, match=r"not ready after 0 s; last lines of .*\nstill recovering"):
        procs.wait_until(_never, 0.2, "PostgreSQL", logs=(log,))


def test_stop_pid_outlasts_a_server_that_ignores_sigterm():
    child = subprocess.Popen(["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
                             start_new_session=True)
    procs.stop_pid(child.pid, timeout=0.5)
    assert not procs.pid_alive(child.pid)


def test_a_port_held_by_a_client_socket_is_not_bindable():
    """The case `port_open` misses: an outgoing connection whose local end is the port."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname()) as client:
            client_port = client.getsockname()[1]
            assert not procs.port_open("127.0.0.1", client_port)
            assert not procs.port_bindable("127.0.0.1", client_port)
            assert not procs.port_bindable("127.0.0.1", server.getsockname()[1])
    assert procs.port_bindable("127.0.0.1", procs.free_port())
