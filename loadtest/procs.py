"""Small process helpers: pid files, readiness polling, stopping process groups."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path


class InfraError(RuntimeError):
    """A server could not be started or reached; the message says what to do."""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0): treat it as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_bindable(host: str, port: int) -> bool:
    """Whether a server could listen on the port now. Stricter than `port_open`: it also sees
    a stopped listener and a client socket that holds the port as its local end."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, interval: float = 0.1,
    pid: int | None = None, logs: tuple[Path, ...] = (),
) -> None:
    """Poll `check` until it holds; fail early if the server process `pid` died. The error
    carries the server's exit status and the end of its log, so a CI transcript explains it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if pid is not None and not pid_alive(pid):
            raise InfraError(f"{what}: exited during start-up ({exit_status(pid)})"
                             + "".join(log_tail(log) for log in logs))
        time.sleep(interval)
    raise InfraError(f"{what}: not ready after {timeout:.0f} s" + "".join(log_tail(log) for log in logs))


def exit_status(pid: int) -> str:
    """How a child of this process ended (unknown for a server another process started)."""
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        reaped = 0
    if reaped != pid:
        return "exit status unknown"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def log_tail(log: Path, lines: int = 15) -> str:
    """The last lines of a server log, without informational notes."""
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return f"; no log at {log}"
    kept = [line for line in text if "[Note]" not in line][-lines:]
    return f"; last lines of {log}:\n" + "\n".join(kept)


def stop_pid(pid: int, timeout: float = 15.0, sig: int = signal.SIGTERM) -> None:
    """Signal a process (its whole group when it leads one) and wait for it to go."""
    try:
        target = -pid if os.getpgid(pid) == pid else pid
        os.kill(target, sig)
    except ProcessLookupError:
        return
    _wait_gone(pid, timeout)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL) if target < 0 else os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # Wait for it to be gone: a restart must not meet the old server's port or file locks.
        _wait_gone(pid, 10)


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        _reap(pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
