"""An unexpected exception is the contract's JSON 500, not Starlette's plain text."""

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def failing_client():
    from app.main import app

    async def fails() -> None:
        raise RuntimeError("a bug: the driver said something private")

    app.add_api_route("/test-fails", fails)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        app.router.routes.pop()


def test_unexpected_error_is_json_500_without_its_text(failing_client):
    response = failing_client.get("/test-fails")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"detail": "internal error"}
