"""Clients of the shared servers for the harness's own checks (rows inserted, keys cached,
tables reset), with short timeouts: a check must never hang a sweep or a fault run. The
drivers are imported where they connect: the scenarios import this module, and the command
line should start without loading three database drivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.config import endpoints, settings
from ..core.errors import InfraError

if TYPE_CHECKING:
    import psycopg
    import pymysql
    from pymemcache.client.base import Client

TIMEOUT_S = 5


def postgres() -> psycopg.Connection:
    import psycopg

    try:
        return psycopg.connect(endpoints().database_url, connect_timeout=TIMEOUT_S, autocommit=True)
    except psycopg.OperationalError as e:
        s = settings()["postgres"]
        raise InfraError(f"PostgreSQL at {s['host']}:{s['port']} does not answer: {e}") from e


def mariadb() -> pymysql.connections.Connection:
    import pymysql

    s = settings()["mariadb"]
    return pymysql.connect(host=s["host"], port=s["port"], user=s["user"], password=s["password"],
                           database=s["database"], autocommit=True, connect_timeout=TIMEOUT_S)


def memcached() -> Client:
    from pymemcache.client.base import Client

    host, port = endpoints().memcached_addr.rsplit(":", 1)
    return Client((host, int(port)), connect_timeout=TIMEOUT_S, timeout=TIMEOUT_S)


def mix_items_count() -> int:
    conn = mariadb()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mix_items")
        return cur.fetchone()[0]
