"""The benchmark's servers as the faults move them: one started again and timed to the moment
its port accepts, and PostgreSQL's superuser, which a fault needs to change the server's own
settings (ALTER SYSTEM)."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from ..core.config import settings
from ..servers import infra, procs

if TYPE_CHECKING:
    import psycopg


def start_server(component: str) -> tuple[float, float]:
    """Start a server again; returns when start was called and when its port first accepted a
    connection (the moment it is "back": bootstrap work after that does not count)."""
    s = settings()[component]
    opened: list[float] = []

    def watch() -> None:
        while not opened and time.monotonic() < called + 120:
            if procs.port_open(s["host"], s["port"], timeout=0.2):
                opened.append(time.monotonic())
            else:
                time.sleep(0.02)

    called = time.monotonic()
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    infra.start(component)
    watcher.join(5)
    return called, opened[0] if opened else time.monotonic()


def postgres_admin() -> psycopg.Connection:
    """The run's own PostgreSQL as its superuser (autocommit: ALTER SYSTEM refuses a
    transaction block). The password is the one infra generated for this run directory."""
    import psycopg

    s = settings()["postgres"]
    return psycopg.connect(host=s["host"], port=s["port"], user="postgres", dbname="postgres",
                           password=infra._pg_admin_password(), connect_timeout=5, autocommit=True)
