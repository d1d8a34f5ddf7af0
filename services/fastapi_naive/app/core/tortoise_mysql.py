"""Tortoise ORM's MySQL backend, on aiomysql, without a pool and with one fix. Used as the
connection's "engine" in app/db.py.

No pool: Tortoise takes a connection from its pool for every query or transaction; here that
"pool" connects anew every time and closes the connection when it is given back.

The fix: Tortoise 1.1.9's pooled transaction takes a connection from the pool, then sends
BEGIN; if BEGIN fails or is cancelled (by the timeout around every transaction), __aexit__
never runs and the connection is never given back: here, never closed. This context gives it
back.
"""

import asyncio
import sys
from typing import Any

# Tortoise prefers asyncmy when it is importable, and this repository's shared virtualenv
# holds it (for fastapi_tuned). Hide it so that this service runs on aiomysql, as it does
# after `pip install "tortoise-orm[aiomysql]"`.
sys.modules.setdefault("asyncmy", None)  # type: ignore[arg-type]

import aiomysql  # noqa: E402
from tortoise.backends.base.client import TransactionContextPooled  # noqa: E402
from tortoise.backends.mysql.client import MySQLClient, TransactionWrapper  # noqa: E402
from tortoise.connection import get_connections  # noqa: E402


class _TransactionContext(TransactionContextPooled):
    async def __aenter__(self) -> TransactionWrapper:
        try:
            return await super().__aenter__()
        except BaseException:
            if self.client._connection is not None:  # taken from the pool, then BEGIN failed
                self.client._parent._pool.release(self.client._connection)
                get_connections().reset(self.token)
            raise


class ConnectionPerCheckout:
    """Stands where Tortoise keeps aiomysql's pool: every checkout is a new connection, every
    return closes it, and nothing bounds how many are open at once."""

    def __init__(self, **connect_args: Any) -> None:
        self.connect_args = connect_args

    async def acquire(self) -> aiomysql.Connection:
        return await aiomysql.connect(**self.connect_args)

    def release(self, conn: aiomysql.Connection) -> asyncio.Task:
        # Not a coroutine, like aiomysql's: the connection is closed whether awaited or not.
        return asyncio.ensure_future(self._close(conn))

    @staticmethod
    async def _close(conn: aiomysql.Connection) -> None:
        try:
            await conn.ensure_closed()  # says COM_QUIT: the server sees no aborted client
        except Exception:  # broken already: just drop it
            conn.close()

    def close(self) -> None:
        pass  # nothing is kept open

    async def wait_closed(self) -> None:
        pass


class AiomysqlClient(MySQLClient):
    async def create_connection(self, with_db: bool) -> None:
        # Where MySQLClient opens aiomysql's pool (minsize and maxsize do not apply).
        self._pool = ConnectionPerCheckout(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            db=self.database if with_db else None,
            autocommit=True,
            charset=self.charset,
            **self.extra,
        )
        await self._post_connect()

    def _in_transaction(self) -> _TransactionContext:
        return _TransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = AiomysqlClient
