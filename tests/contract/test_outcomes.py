"""What a write's answer promises (CONTRACT.md, general rules and POST /api/devices).

- `Idempotency-Key`: a repeat of a keyed request creates nothing and answers the first body,
  also when the repeats arrive together; a key reused for another request is refused.
- `503` means the write did not happen, `504` `postgres timed out: outcome unknown` that it may
  have. The suite holds a lock that blocks the INSERT (no process is frozen), lets the service
  give up, releases the lock, and then looks in PostgreSQL for what the answer claimed.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.contract.test_contract import BOUND_SECONDS, assert_json_error, new_device

KEY = "Idempotency-Key"
REUSED = "idempotency key reused with a different request"
OUTCOME_UNKNOWN = "postgres timed out: outcome unknown"
VISIBLE_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))  # "!" to "~": every allowed character
# The 5 s of the contract, measured from the client on a shared machine: a bound, not a speed.
ANSWER_BOUND_SECONDS = BOUND_SECONDS + 1.5


def fresh_key() -> str:
    return f"outcomes-{uuid.uuid4().hex}"


def post(http: httpx.Client, body: dict, key: str | bytes | None = None, **kwargs) -> httpx.Response:
    headers = {} if key is None else {KEY: key}
    return http.post("/api/devices", json=body, headers=headers, **kwargs)


def rows_for_key(pg, key: str) -> list[tuple]:
    return pg.execute("SELECT id, uuid::text, mac, firmware FROM devices WHERE idempotency_key = %s ORDER BY id",
                      (key,)).fetchall()


def rows_for_firmware(pg, firmware: str) -> int:
    return pg.execute("SELECT count(*) FROM devices WHERE firmware = %s", (firmware,)).fetchone()[0]


def assert_created(resp: httpx.Response, body: dict) -> dict:
    assert resp.status_code == 201, f"want 201, got {resp.status_code}: {resp.text[:300]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    dev = resp.json()
    assert (dev["mac"], dev["firmware"]) == (body["mac"], body["firmware"]), dev
    return dev


def assert_reused(resp: httpx.Response) -> None:
    assert_json_error(resp, 422)
    assert resp.json()["detail"] == REUSED


# --- Idempotency-Key: one key, one row ---------------------------------------------------

def test_keyed_post_stores_the_key_with_the_row(http, pg, memcache):
    key, body = fresh_key(), new_device()
    dev = assert_created(post(http, body, key), body)
    row = pg.execute("SELECT id, mac, firmware, idempotency_key FROM devices WHERE uuid = %s",
                     (dev["uuid"],)).fetchone()
    assert row == (dev["id"], body["mac"], body["firmware"], key)
    assert memcache.get(f"device:{dev['uuid']}") is not None, "a keyed device is cached like any other"


def test_repeat_answers_the_first_body_and_creates_nothing(http, pg):
    key, body = fresh_key(), new_device()
    first = assert_created(post(http, body, key), body)
    for repeat in (body, {**body, "extra": "ignored, as in any request"}):
        assert assert_created(post(http, repeat, key), body) == first
    assert [r[0] for r in rows_for_key(pg, key)] == [first["id"]]
    assert rows_for_firmware(pg, body["firmware"]) == 1


@pytest.mark.parametrize("change", ["firmware", "mac", "both"])
def test_key_reused_with_a_different_request_is_422_and_creates_nothing(http, pg, change):
    key, body = fresh_key(), new_device()
    first = assert_created(post(http, body, key), body)
    other = {"mac": "00:11:22:AA:bb:cc" if change in ("mac", "both") else body["mac"],
             "firmware": new_device()["firmware"] if change in ("firmware", "both") else body["firmware"]}
    assert_reused(post(http, other, key))
    assert [r[0] for r in rows_for_key(pg, key)] == [first["id"]]
    assert rows_for_firmware(pg, other["firmware"]) == (1 if change == "mac" else 0)
    # The refusal changed nothing: the first request's repeat still answers its body.
    assert assert_created(post(http, body, key), body) == first


def test_two_keys_with_the_same_body_are_two_devices(http, pg):
    body = new_device()
    a = assert_created(post(http, body, fresh_key()), body)
    b = assert_created(post(http, body, fresh_key()), body)
    assert a["id"] != b["id"] and a["uuid"] != b["uuid"]
    assert rows_for_firmware(pg, body["firmware"]) == 2


def test_post_without_a_key_stores_null(http, pg):
    body = new_device()
    dev = assert_created(post(http, body), body)
    row = pg.execute("SELECT id, idempotency_key FROM devices WHERE uuid = %s", (dev["uuid"],)).fetchone()
    assert row == (dev["id"], None)
    # And without a key nothing is deduplicated: the same body again is a second device.
    assert assert_created(post(http, body), body)["id"] != dev["id"]
    assert rows_for_firmware(pg, body["firmware"]) == 2


@pytest.mark.parametrize("key", [
    ("k" * 223 + uuid.uuid4().hex)[-255:],
    (uuid.uuid4().hex + VISIBLE_ASCII)[:255],  # quotes, comma, semicolon, backslash...
    "~",  # a fresh database's only: the body below is the same on every run
], ids=["255 chars", "every visible character", "1 char"])
def test_valid_keys_are_accepted(http, pg, key):
    body = {"mac": "EF-2B-C4-F5-D6-34", "firmware": f"outcomes-key-{len(key)}"} if len(key) == 1 else new_device()
    earlier = rows_for_key(pg, key)
    if earlier and earlier[0][2:] != (body["mac"], body["firmware"]):
        # Another client used the short key first: a valid key, reused with another request.
        assert_reused(post(http, body, key))
        return
    dev = assert_created(post(http, body, key), body)
    assert rows_for_key(pg, key) == [(dev["id"], dev["uuid"], body["mac"], body["firmware"])]
    assert assert_created(post(http, body, key), body) == dev


INVALID_KEYS: dict[str, bytes] = {
    "empty": b"",
    "256 chars": b"k" * 256,
    "a space inside": b"outcomes key",
    "non-ASCII": "outcomes-clé".encode(),
    "Latin-1 byte": b"outcomes-cl\xe9",
    "a tab inside": b"outcomes\tkey",
}


@pytest.mark.parametrize("case", INVALID_KEYS, ids=list(INVALID_KEYS))
def test_invalid_key_is_422_and_creates_nothing(http, pg, case):
    body = new_device()
    assert_json_error(post(http, body, INVALID_KEYS[case]), 422)
    assert rows_for_firmware(pg, body["firmware"]) == 0


@pytest.mark.parametrize("same", [True, False], ids=["same value", "two values"])
def test_key_given_twice_is_422_and_creates_nothing(http, pg, same):
    body, key = new_device(), fresh_key()
    headers = [(KEY, key), (KEY, key if same else fresh_key())]
    assert_json_error(http.post("/api/devices", json=body, headers=headers), 422)
    assert rows_for_firmware(pg, body["firmware"]) == 0
    assert rows_for_key(pg, key) == []


def test_invalid_body_does_not_use_up_the_key(http, pg):
    key, body = fresh_key(), new_device()
    assert_json_error(post(http, {**body, "mac": "not a mac"}, key), 422)
    assert rows_for_key(pg, key) == []
    dev = assert_created(post(http, body, key), body)
    assert [r[0] for r in rows_for_key(pg, key)] == [dev["id"]]


# --- Idempotency-Key: requests that arrive together ---------------------------------------

def post_together(base_url: str, requests: list[tuple[dict, str]]) -> list[httpx.Response]:
    """Send every (body, key) at once, each on its own connection opened beforehand."""
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response | BaseException | None] = [None] * len(requests)

    def send(i: int, body: dict, key: str) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                client.get("/api/devices").raise_for_status()  # connected and warm
                barrier.wait(timeout=30)
                answers[i] = post(client, body, key)
        except BaseException as exc:  # noqa: BLE001 (reported below, with the others)
            barrier.abort()
            answers[i] = exc

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    failed = [a for a in answers if not isinstance(a, httpx.Response)]
    assert not failed, f"requests failed: {failed[:3]}"
    return answers  # type: ignore[return-value]


def test_concurrent_repeats_create_one_device(target, pg):
    key, body = fresh_key(), new_device()
    answers = post_together(target.base_url, [(body, key)] * 20)
    devices = [assert_created(resp, body) for resp in answers]
    assert all(dev == devices[0] for dev in devices), {d["id"] for d in devices}
    assert [r[0] for r in rows_for_key(pg, key)] == [devices[0]["id"]]
    assert rows_for_firmware(pg, body["firmware"]) == 1


def test_concurrent_requests_with_one_key_and_two_bodies(target, pg):
    """Whichever body wins the key, the others with it get its body and the rest 422."""
    key, a, b = fresh_key(), new_device(), new_device()
    requests = [(a, key), (b, key)] * 5
    answers = post_together(target.base_url, requests)
    rows = rows_for_key(pg, key)
    assert len(rows) == 1, rows
    winner_id, winner_uuid, _, winner_firmware = rows[0]
    for (body, _), resp in zip(requests, answers, strict=True):
        if body["firmware"] == winner_firmware:
            dev = assert_created(resp, body)
            assert (dev["id"], dev["uuid"]) == (winner_id, winner_uuid)
        else:
            assert_reused(resp)
    loser = b if winner_firmware == a["firmware"] else a
    assert rows_for_firmware(pg, loser["firmware"]) == 0


# --- 503 means not written, 504 means unknown ---------------------------------------------

@contextlib.contextmanager
def devices_locked(database_url: str) -> Iterator[None]:
    """Hold `LOCK TABLE devices IN SHARE MODE`: every INSERT waits, every SELECT goes on.
    Released by the ROLLBACK on the way out, whatever happened; PostgreSQL itself ends the
    session if this process dies or stalls while it holds the lock."""
    options = "-c lock_timeout=5s -c statement_timeout=5s -c idle_in_transaction_session_timeout=30s"
    with psycopg.connect(database_url, connect_timeout=5, options=options) as conn:
        try:
            conn.execute("LOCK TABLE devices IN SHARE MODE")
            yield
        finally:
            conn.rollback()


def settled_count(pg, firmware: str, quiet: float = 1.5, limit: float = 10) -> int:
    """The row count for a firmware once it has not changed for `quiet` seconds: a write the
    service gave up on may still commit once the lock is gone."""
    deadline = time.monotonic() + limit
    count, since = rows_for_firmware(pg, firmware), time.monotonic()
    while time.monotonic() - since < quiet:
        assert time.monotonic() < deadline, f"row count for {firmware!r} still changing after {limit} s"
        time.sleep(0.1)
        now = rows_for_firmware(pg, firmware)
        if now != count:
            count, since = now, time.monotonic()
    return count


@pytest.mark.parametrize("keyed", [True, False], ids=["with a key", "without a key"])
def test_blocked_insert_answers_503_only_if_nothing_was_written(http, pg, servers, keyed):
    key, body = (fresh_key() if keyed else None), new_device()
    with devices_locked(servers.database_url):
        started = time.monotonic()
        resp = post(http, body, key, timeout=ANSWER_BOUND_SECONDS + 10)
        elapsed = time.monotonic() - started
    assert elapsed < ANSWER_BOUND_SECONDS, f"a blocked INSERT was answered after {elapsed:.1f} s"
    assert resp.status_code in (503, 504), f"want 503 or 504, got {resp.status_code}: {resp.text[:300]}"
    assert_json_error(resp, resp.status_code)  # JSON, and a fixed phrase without driver text

    written = settled_count(pg, body["firmware"])
    if resp.status_code == 503:
        assert written == 0, "503 says the write did not happen, but the row is in the table"
    else:
        assert resp.json()["detail"] == OUTCOME_UNKNOWN
        assert written <= 1

    if keyed:  # how a client resolves either answer: the same request again, with the same key
        dev = assert_created(post(http, body, key), body)
        assert [r[0] for r in rows_for_key(pg, key)] == [dev["id"]]
        assert rows_for_firmware(pg, body["firmware"]) == 1
    else:  # and the service serves again once the lock is gone, without a restart
        fresh = new_device()
        assert_created(post(http, fresh), fresh)


def test_postgres_down_is_503_with_a_key(no_dependencies):
    """Connection refused: the statement was never sent, so the write did not happen."""
    with httpx.Client(base_url=no_dependencies.base_url, timeout=30) as client:
        started = time.monotonic()
        resp = post(client, new_device(), fresh_key())
        assert time.monotonic() - started < BOUND_SECONDS
        assert_json_error(resp, 503)


def test_outcome_unknown_is_a_fixed_phrase():
    """The suite's own check of 5xx details lets the contract's new phrase through."""
    assert_json_error(httpx.Response(504, json={"detail": OUTCOME_UNKNOWN}), 504)
