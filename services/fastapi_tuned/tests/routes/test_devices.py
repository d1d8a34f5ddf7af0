import json

import pytest
from app.routes.devices import DEVICES, utc_now_ms


def test_list_is_the_reference_list(client):
    resp = client.get("/api/devices")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == DEVICES
    assert [d["id"] for d in resp.json()] == [1, 2, 3]


@pytest.mark.parametrize("body", [
    b"{", b"[]", b'"x"', b"{}", b'{"mac": null, "firmware": "1"}', b'{"mac": 1, "firmware": "1"}',
    b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": ""}', b'{"mac": "EF-2B:C4-F5-D6-34", "firmware": "1"}',
    json.dumps({"mac": "EF-2B-C4-F5-D6-34", "firmware": "x" * 256}).encode(),
])
def test_create_rejects_invalid_bodies_before_any_database_work(client, body):
    resp = client.post("/api/devices", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 422
    assert "detail" in resp.json()


def test_create_rejects_bodies_over_64_kib(client):
    resp = client.post("/api/devices", content=b"x" * 65537, headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert resp.json() == {"detail": "request body larger than 65536 bytes"}


def test_create_with_postgres_down_is_503(client):
    resp = client.post("/api/devices", json={"mac": "EF-2B-C4-F5-D6-34", "firmware": "1"})
    assert resp.status_code == 503
    assert resp.json()["detail"].startswith("postgres unavailable")


def test_timestamp_has_milliseconds_and_z():
    stamp = utc_now_ms()
    assert stamp.endswith("Z") and len(stamp) == len("2024-05-28T15:21:51.137Z")
    assert stamp[10] == "T" and stamp[19] == "."


@pytest.mark.parametrize("body", [
    b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "a\\u0000b"}',
    b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\\ud800"}',
    b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\xed\xa0\x80"}',
    b"\xff\xfe{\x00}\x00",
    b'{"mac": "EF-2B-C4-F5-D6-34\\n", "firmware": "1"}',
])
def test_create_rejects_text_postgres_cannot_hold(client, body):
    resp = client.post("/api/devices", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert "detail" in resp.json()
