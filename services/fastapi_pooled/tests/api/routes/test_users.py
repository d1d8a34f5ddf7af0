import pytest


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "after=-1",
        "after=2147483648",
        "after=x",
        "limit=1_0",
        "limit=%205",
        "limit=5%20",
        "limit=3.0",
        "limit=",
        "limit=%D9%A3",
        "after=1_000",
        "after=99999999999",
    ],
)
def test_bad_query_is_422(client, query):
    response = client.get(f"/api/users?{query}")
    assert response.status_code == 422
    assert "detail" in response.json()


def test_database_down_is_503_json(client):
    response = client.get("/api/users?limit=1&after=100")
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable"}
