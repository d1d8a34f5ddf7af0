import json
from contextlib import asynccontextmanager

import asyncpg
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


# --- Idempotency-Key: checked before any database work ------------------------------------

@pytest.mark.parametrize("headers", [
    [("Idempotency-Key", "")], [("Idempotency-Key", "k" * 256)], [("Idempotency-Key", "a key")],
    [("Idempotency-Key", "tab\tkey")], [("Idempotency-Key", b"cl\xe9")],
    [("Idempotency-Key", "same"), ("Idempotency-Key", "same")], [("Idempotency-Key", "one"), ("Idempotency-Key", "two")],
], ids=["empty", "256 chars", "space", "tab", "non-ASCII", "twice", "two values"])
def test_invalid_idempotency_key_is_422(client, headers):
    resp = client.post("/api/devices", json={"mac": "EF-2B-C4-F5-D6-34", "firmware": "1"}, headers=headers)
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


@pytest.mark.parametrize("key", ["~", "k" * 255, "".join(chr(c) for c in range(0x21, 0x7F))])
def test_valid_idempotency_key_reaches_the_database(client, key):
    resp = client.post("/api/devices", json={"mac": "EF-2B-C4-F5-D6-34", "firmware": "1"},
                       headers={"Idempotency-Key": key})
    assert resp.status_code == 503  # the unit tests' database is down


# --- 503 or 504: the INSERT (autocommit) answered or not ----------------------------------

class FakeConnection:
    def __init__(self, error):
        self.error, self.terminated = error, False

    async def fetchval(self, query, *args):
        raise self.error

    def terminate(self):
        self.terminated = True


class FakePool:
    def __init__(self, error):
        self.conn = FakeConnection(error)

    @asynccontextmanager
    async def acquire(self, timeout=None):
        yield self.conn


@pytest.mark.parametrize("error, status, detail", [
    (TimeoutError(), 504, "postgres timed out: outcome unknown"),  # command_timeout
    (ConnectionResetError("private detail"), 504, "postgres timed out: outcome unknown"),
    (asyncpg.PostgresError.new({"S": "ERROR", "V": "ERROR", "C": "57014", "M": "statement timeout"}),
     503, "postgres unavailable"),  # the server cancelled it: not written
    (asyncpg.PostgresError.new({"S": "ERROR", "V": "ERROR", "C": "25006", "M": "read-only transaction"}),
     503, "postgres unavailable"),
])
def test_insert_failure_is_503_if_answered_504_if_not(client, monkeypatch, error, status, detail):
    pool = FakePool(error)
    monkeypatch.setattr(client.app.state.resources, "pg", pool)
    resp = client.post("/api/devices", json={"mac": "EF-2B-C4-F5-D6-34", "firmware": "1"})
    assert (resp.status_code, resp.json()) == (status, {"detail": detail})
    assert pool.conn.terminated is (status == 504)  # its state is unknown: never reused
