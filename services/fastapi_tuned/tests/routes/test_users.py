import pytest


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "after=-1", "after=2147483648", "limit=x"])
def test_bad_paging_is_422(client, query):
    resp = client.get(f"/api/users?{query}")
    assert resp.status_code == 422
    assert "detail" in resp.json()


def test_errors_are_json(client):
    assert client.get("/nope").json() == {"detail": "Not Found"}
    resp = client.delete("/api/devices")
    assert resp.status_code == 405
    assert resp.json() == {"detail": "Method Not Allowed"}


def test_postgres_text_timestamp_becomes_rfc3339_utc():
    from app.resources import rfc3339_utc

    assert rfc3339_utc("2024-01-01 00:01:00+00") == "2024-01-01T00:01:00Z"
    assert rfc3339_utc("2024-01-01 00:01:00.123456+00") == "2024-01-01T00:01:00Z"
