"""A new database connection for every request, as the tutorials open them.

PostgreSQL: a SQLAlchemy async engine on asyncpg, without a pool (NullPool): every session
connects anew and closes its connection at the end. MySQL: Tortoise ORM on aiomysql, whose
backend (app/core/tortoise_mysql.py) connects anew for every transaction. Nothing is shared,
so the databases see as many connections as there are requests in flight.
"""

from urllib.parse import urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from tortoise.backends.base.config_generator import expand_db_url

from app.core.config import Settings


def create_postgres_engine(settings: Settings) -> AsyncEngine:
    url = urlsplit(settings.database_url)._replace(scheme="postgresql+asyncpg").geturl()
    return create_async_engine(
        url,
        poolclass=NullPool,  # no pool: a new connection per session, closed after
        # asyncpg's connect and statement timeouts. A timed-out statement is cancelled over a
        # new connection, and the ROLLBACK before the connection is closed waits for that,
        # up to command_timeout more: connect + 2 x statement stays under the contract's 5 s
        # (README, "Bounded waits").
        connect_args={
            "timeout": settings.db_acquire_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        },
    )


def tortoise_config(settings: Settings) -> dict:
    """MYSQL_URL as a Tortoise connection on the aiomysql backend of
    app/core/tortoise_mysql.py: a new connection per transaction, no limit."""
    params = {"connect_timeout": 2}
    url = urlsplit(settings.mysql_url)._replace(query=urlencode(params)).geturl()
    connection = expand_db_url(url)
    connection["engine"] = "app.core.tortoise_mysql"
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": ["app.orm.mysql"], "default_connection": "default"}},
    }
