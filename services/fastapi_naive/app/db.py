"""A new database connection for every request, as the tutorials open them.

This is the point of this service: nothing is pooled, so every request pays a TCP connect
and an authentication, and the database sees as many connections as there are requests.
"""

import asyncio
from urllib.parse import unquote, urlsplit

import aiomysql
import psycopg

from app.core.config import Settings


async def connect_postgres(settings: Settings) -> psycopg.AsyncConnection:
    return await psycopg.AsyncConnection.connect(
        settings.database_url,
        autocommit=True,
        # libpq counts whole seconds, at least 2.
        connect_timeout=max(2, int(settings.db_timeout_seconds)),
    )


async def connect_mysql(settings: Settings) -> aiomysql.Connection:
    url = urlsplit(settings.mysql_url)
    # connect_timeout only bounds the TCP connect, not the handshake: bound it all.
    async with asyncio.timeout(settings.db_timeout_seconds):
        return await aiomysql.connect(
            host=url.hostname,
            port=url.port or 3306,
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            db=url.path.lstrip("/"),
            connect_timeout=settings.db_timeout_seconds,
            autocommit=False,
        )
