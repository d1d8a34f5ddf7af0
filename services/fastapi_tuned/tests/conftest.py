"""Unit tests need no database: pools connect lazily, so the app starts without one."""

import os

import pytest
from fastapi.testclient import TestClient

os.environ.setdefault("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:1/bench")
os.environ.setdefault("MYSQL_URL", "mysql://bench:bench@127.0.0.1:1/bench")
os.environ.setdefault("MEMCACHED_ADDR", "127.0.0.1:1")
os.environ.setdefault("EXTERNAL_URL", "http://127.0.0.1:1/external")


@pytest.fixture(scope="session")
def client():
    from app.main import app

    with TestClient(app) as c:
        yield c
