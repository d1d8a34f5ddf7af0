"""Connections as the databases see them: a new one for every checkout, closed after.

Needs the shared infrastructure (started if needed): run with -m slow.

    cd services/fastapi_naive && ../../.venv/bin/pytest -m slow tests/test_connections.py
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tortoise import connections
from tortoise.transactions import in_transaction

pytestmark = pytest.mark.slow


async def closed_soon(is_open: Callable[[], Awaitable[bool]]) -> bool:
    """The server drops a closed connection a moment after the client: poll for 1 s."""
    for _ in range(20):
        if not await is_open():
            return True
        await asyncio.sleep(0.05)
    return False


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from loadtest.core import config
    from loadtest.servers import infra

    infra.up()
    for name, value in config.service_env("fastapi_naive").items():
        monkeypatch.setenv(name, value)
    from app.main import app

    with TestClient(app) as client:
        yield client


def test_postgres_connects_for_every_session_and_closes(client):
    sessionmaker = client.app.state.sessionmaker

    async def backend_pid() -> int:
        async with sessionmaker() as session:
            return (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

    async def closed(pid: int) -> bool:
        async def is_open() -> bool:
            async with sessionmaker() as session:
                query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
                return (await session.execute(query, {"pid": pid})).scalar_one() == 1

        return await closed_soon(is_open)

    first, second = client.portal.call(backend_pid), client.portal.call(backend_pid)
    assert first != second
    assert client.portal.call(closed, first)


def test_mysql_connects_for_every_query_and_transaction_and_closes(client):
    async def connection_id() -> int:
        _, rows = await connections.get("default").execute_query("SELECT CONNECTION_ID() AS id")
        return rows[0]["id"]

    async def connection_id_in_transaction() -> int:
        async with in_transaction() as conn:
            _, rows = await conn.execute_query("SELECT CONNECTION_ID() AS id")
            return rows[0]["id"]

    async def closed(connection: int) -> bool:
        async def is_open() -> bool:
            query = "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = %s"
            _, rows = await connections.get("default").execute_query(query, [connection])
            return rows[0]["n"] == 1

        return await closed_soon(is_open)

    ids = [
        client.portal.call(connection_id),
        client.portal.call(connection_id_in_transaction),
        client.portal.call(connection_id_in_transaction),
    ]
    assert len(set(ids)) == 3
    assert all(client.portal.call(closed, i) for i in ids)
