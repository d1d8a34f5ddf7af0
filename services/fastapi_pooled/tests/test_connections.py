"""Connections as the databases see them: a pooled connection, taken again by every checkout.

Needs the shared infrastructure (started if needed): run with -m slow.

    cd services/fastapi_pooled && ../../.venv/bin/pytest -m slow tests/test_connections.py
"""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tortoise import connections
from tortoise.transactions import in_transaction

pytestmark = pytest.mark.slow


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from loadtest.core import config
    from loadtest.servers import infra

    infra.up()
    for name, value in config.service_env("fastapi_pooled").items():
        monkeypatch.setenv(name, value)
    from app.main import app

    with TestClient(app) as client:
        yield client


def test_postgres_sessions_share_a_connection(client):
    sessionmaker = client.app.state.sessionmaker

    async def backend_pid() -> int:
        async with sessionmaker() as session:
            return (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()

    assert client.portal.call(backend_pid) == client.portal.call(backend_pid)


def test_mysql_queries_and_transactions_share_a_connection(client):
    async def connection_id() -> int:
        _, rows = await connections.get("default").execute_query("SELECT CONNECTION_ID() AS id")
        return rows[0]["id"]

    async def connection_id_in_transaction() -> int:
        async with in_transaction() as conn:
            _, rows = await conn.execute_query("SELECT CONNECTION_ID() AS id")
            return rows[0]["id"]

    ids = [
        client.portal.call(connection_id),
        client.portal.call(connection_id_in_transaction),
        client.portal.call(connection_id_in_transaction),
    ]
    assert len(set(ids)) == 1
