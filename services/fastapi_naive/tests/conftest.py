from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

# Unit tests need no database: every dependency points at a closed port, so a test that
# reaches one gets the service's 503 rather than touching shared data.
DEAD = "127.0.0.1:9"


@pytest.fixture(autouse=True)
def contract_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://bench:bench@{DEAD}/bench")
    monkeypatch.setenv("MYSQL_URL", f"mysql://bench:bench@{DEAD}/bench")
    monkeypatch.setenv("MEMCACHED_ADDR", DEAD)
    monkeypatch.setenv("EXTERNAL_URL", f"http://{DEAD}/external")


@pytest.fixture
def client() -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as client:  # runs the lifespan: pools are lazy, nothing connects
        yield client
