"""Tortoise ORM's MySQL backend, on aiomysql, with one fix. Used as the connection's
"engine" in app/db.py.

The fix: Tortoise 1.1.9's pooled transaction takes a connection from the pool, then sends
BEGIN; if BEGIN fails or is cancelled (by the timeout around every transaction), __aexit__
never runs and the connection never goes back to the pool. After POOL_SIZE such failures
io-mix would wait for a connection forever. This context gives it back.
"""

import sys

# Tortoise prefers asyncmy when it is importable, and this repository's shared virtualenv
# holds it (for fastapi_tuned). Hide it so that this service runs on aiomysql, as it does
# after `pip install "tortoise-orm[aiomysql]"`.
sys.modules.setdefault("asyncmy", None)  # type: ignore[arg-type]

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


class AiomysqlClient(MySQLClient):
    def _in_transaction(self) -> _TransactionContext:
        return _TransactionContext(TransactionWrapper(self), self._pool_init_lock)


client_class = AiomysqlClient
