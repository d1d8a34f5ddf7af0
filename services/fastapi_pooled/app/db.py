"""The pools, opened once in the lifespan (app/main.py) and shared by every request.

PostgreSQL: a SQLAlchemy async engine on asyncpg. MySQL: Tortoise ORM on aiomysql.
Both are lazy: nothing connects until the first request, so the service starts even
when a database is down, and recovers by itself once it is back.
"""

from urllib.parse import urlencode, urlsplit

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tortoise.backends.base.config_generator import expand_db_url

from app.core.config import Settings


def create_postgres_engine(settings: Settings) -> AsyncEngine:
    url = urlsplit(settings.database_url)._replace(scheme="postgresql+asyncpg").geturl()
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=settings.db_acquire_timeout_seconds,  # waiting for a free connection
        # asyncpg's connect and statement timeouts. A timed-out statement is cancelled over a
        # new connection, and the ROLLBACK that returns the connection to the pool waits for
        # that, up to command_timeout more: wait + connect + 2 x statement stays under the
        # contract's 5 s (README, "Bounded waits").
        connect_args={
            "timeout": settings.db_acquire_timeout_seconds,
            "command_timeout": settings.db_statement_timeout_seconds,
        },
    )


def tortoise_config(settings: Settings) -> dict:
    """MYSQL_URL as a Tortoise connection: at most POOL_SIZE connections, on the
    aiomysql backend of app/core/tortoise_mysql.py."""
    params = {"minsize": 1, "maxsize": settings.pool_size, "connect_timeout": 2}
    url = urlsplit(settings.mysql_url)._replace(query=urlencode(params)).geturl()
    connection = expand_db_url(url)
    connection["engine"] = "app.core.tortoise_mysql"
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": ["app.orm.mysql"], "default_connection": "default"}},
    }
