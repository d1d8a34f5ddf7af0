"""Small process helpers: pid files, readiness polling, stopping process groups."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from ..core.errors import InfraError


def pid_alive(pid: int) -> bool:
    """Running, and not a zombie waiting to be reaped."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


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
    """Signal a process (its whole group when it leads one) and wait for it to go; SIGKILL
    after `timeout`, and wait again: a restart must not meet the old server's port or locks."""
    try:
        proc = psutil.Process(pid)
        group = os.getpgid(pid) == pid
        os.killpg(pid, sig) if group else os.kill(pid, sig)
    except (psutil.NoSuchProcess, ProcessLookupError):
        return
    if _wait_gone(proc, timeout):
        return
    try:
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    _wait_gone(proc, 10)


def _wait_gone(proc: psutil.Process, timeout: float) -> bool:
    """psutil reaps our own children and polls others; a zombie counts as gone."""
    try:
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        return not pid_alive(proc.pid)
    return True


# --- process trees (a service and the workers it forked; a server and its backends) ---------

def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss(pid: int) -> int:
    total = 0
    for p in tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process tree, including children it has already reaped (a PostgreSQL
    backend that exited is accounted in the postmaster's children times)."""
    return sum(tree_cpu_times(pid))


def tree_cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process tree, reaped children included."""
    user = system = 0.0
    for i, p in enumerate(tree(pid)):
        try:
            t = p.cpu_times()
        except psutil.Error:
            continue
        user += t.user + (t.children_user if i == 0 else 0.0)
        system += t.system + (t.children_system if i == 0 else 0.0)
    return user, system
