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
