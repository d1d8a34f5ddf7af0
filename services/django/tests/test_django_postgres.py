"""bench.postgres.BoundedConnection: every wait on PostgreSQL has a timeout, and a connection
that timed out is closed, never handed back with an answer still in flight."""

import psycopg
import pytest
from bench.postgres import BoundedConnection
from django.conf import settings
from psycopg.errors import _WaitTimeout


class FakePGconn:
    finished = False
    status = psycopg.pq.ConnStatus.BAD  # closed: the connection's __del__ leaves it alone

    def finish(self):
        self.finished = True


@pytest.fixture
def conn():
    c = object.__new__(BoundedConnection)  # no server: only wait() is exercised
    c.pgconn = FakePGconn()
    return c


def test_every_wait_gets_the_wait_timeout(conn, monkeypatch):
    seen = {}
    monkeypatch.setattr(psycopg.Connection, "wait", lambda self, gen, interval, timeout: seen.setdefault("t", timeout))
    conn.wait(iter(()))
    assert seen["t"] == settings.DB_WAIT_TIMEOUT_SECONDS


def test_a_timed_out_wait_closes_the_connection(conn, monkeypatch):
    def hang(self, gen, interval, timeout):
        raise _WaitTimeout("wait timeout expired")

    monkeypatch.setattr(psycopg.Connection, "wait", hang)
    with pytest.raises(psycopg.OperationalError, match="did not answer in time"):
        conn.wait(iter(()))
    assert conn.pgconn.finished
