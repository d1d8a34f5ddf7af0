"""Pools and clients, opened once in the lifespan and shared by every request.

Pools connect lazily (min size 0) so the service starts, and /healthz reports, while a
database is down; prepared statements are cached per connection by asyncpg.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import aiohttp
import asyncmy
import asyncpg
from fastapi import Request

from .cache import MemcacheClient
from .config import Settings
from .errors import OutcomeUnknown
from .metrics import watch_pool


@dataclass
class Resources:
    settings: Settings
    pg: asyncpg.Pool
    mysql: asyncmy.Pool
    memcache: MemcacheClient
    http: aiohttp.ClientSession


async def reset_if_in_transaction(conn: asyncpg.Connection) -> None:
    """Replaces asyncpg's default reset, a second round trip on every release
    (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`) for session state this
    service never creates. Only an interrupted transaction is left to undo."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def rfc3339_utc(text: str) -> str:
    """PostgreSQL's text form of a UTC timestamptz, "2024-01-01 00:01:00[.123456]+00", as the
    contract's "2024-01-01T00:01:00Z": slicing, no datetime object (README ladder, step 4)."""
    return text[:10] + "T" + text[11:19] + "Z"


async def use_text_timestamps(conn: asyncpg.Connection) -> None:
    # Written as str too: PostgreSQL parses the ISO 8601 stamps the service sends.
    await conn.set_type_codec("timestamptz", schema="pg_catalog", format="text", encoder=str, decoder=rfc3339_utc)


async def open_resources(settings: Settings) -> Resources:
    pg = await asyncpg.create_pool(
        settings.database_url, min_size=0, max_size=settings.pool_size,
        timeout=settings.db_acquire_timeout_seconds, command_timeout=settings.db_timeout_seconds,
        reset=reset_if_in_transaction, init=use_text_timestamps,
        server_settings={"timezone": "UTC"},  # rfc3339_utc relies on "+00"
    )
    my = urlsplit(settings.mysql_url)
    mysql = await asyncmy.create_pool(
        minsize=0, maxsize=settings.pool_size, host=my.hostname, port=my.port or 3306,
        user=unquote(my.username or ""), password=unquote(my.password or ""),
        database=my.path.lstrip("/"), connect_timeout=settings.db_timeout_seconds,
        read_timeout=settings.db_timeout_seconds, autocommit=False,
    )
    host, port = settings.memcached_addr.rsplit(":", 1)
    memcache = MemcacheClient(host, int(port), pool_size=settings.pool_size)
    http = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.external_timeout_seconds),
        connector=aiohttp.TCPConnector(limit=0),  # the harness, not the client, bounds concurrency
    )
    watch_pool("postgres", pg.get_size, lambda: pg.get_size() - pg.get_idle_size())
    watch_pool("mysql", lambda: mysql.size, lambda: mysql.size - mysql.freesize)
    return Resources(settings, pg, mysql, memcache, http)


@asynccontextmanager
async def postgres(r: Resources) -> AsyncIterator[asyncpg.Connection]:
    """A pooled PostgreSQL connection for one request's statements, within asyncpg's own
    bounds: the acquire timeout (waiting for a free connection or connecting one) and the
    pool's command_timeout (each statement).

    A statement that timed out or was cancelled leaves asyncpg sending a CancelRequest, and
    releasing the connection would wait for the server to acknowledge it, up to
    command_timeout more: a hung server never does, so the request took twice its budget.
    Such a connection is in an unknown state anyway, as is one whose write got no answer
    (OutcomeUnknown): it is closed, and the pool opens a fresh one when asked."""
    async with r.pg.acquire(timeout=r.settings.db_acquire_timeout_seconds) as conn:
        try:
            yield conn
        except (TimeoutError, asyncio.CancelledError, OutcomeUnknown):
            conn.terminate()
            raise


@asynccontextmanager
async def mysql(r: Resources) -> AsyncIterator[asyncmy.Connection]:
    """A pooled MariaDB connection for one request.

    Awaited and released by hand, not `async with pool.acquire()`: on Python 3.11,
    asyncio.wait_for inside asyncmy's connect swallows a cancellation (our deadline) that
    meets the server's reply, so the checkout can finish inside the cancellation; asyncmy's
    context then forgets the connection it handed out, and its exit raises KeyError (a 500)
    and leaks the connection. `await` keeps whatever the checkout returned.

    A connection left in an unknown state by an exception or a cancellation (maybe in the
    middle of a transaction) is closed, never reused: InnoDB rolls back what was not
    committed, and the pool drops it."""
    conn = await r.mysql.acquire()
    try:
        yield conn
    except BaseException:
        conn.close()
        raise
    finally:
        r.mysql.release(conn)


async def close_resources(r: Resources) -> None:
    await r.http.close()
    await r.memcache.close()
    r.mysql.close()
    await r.mysql.wait_closed()
    await r.pg.close()


# Read from app.state in each handler, not through Depends: FastAPI runs a plain `def`
# dependency in anyio's thread pool, a thread hop per request (README ladder, step 2).
def resources_of(request: Request) -> Resources:
    return request.app.state.resources
