import pytest
from sqlalchemy.exc import DBAPIError

from app.api.routes.devices import DEVICES
from app.models import DeviceIn

VALID = {"mac": "EF-2B-C4-F5-D6-34", "firmware": "2.1.5"}


def test_list_is_the_reference_list(client):
    response = client.get("/api/devices")
    assert response.status_code == 200
    body = response.json()
    assert [d["id"] for d in body] == [1, 2, 3]
    assert body[0] == {
        "id": 1,
        "uuid": "9add349c-c35c-4d32-ab0f-53da1ba40a2a",
        "mac": "EF-2B-C4-F5-D6-34",
        "firmware": "2.1.5",
        "created_at": "2024-05-28T15:21:51.137Z",
        "updated_at": "2024-05-28T15:21:51.137Z",
    }
    assert len(DEVICES) == 3


@pytest.mark.parametrize("mac", ["EF-2B-C4-F5-D6-34", "ef:2b:c4:f5:d6:34", "00-00-00-00-00-00"])
def test_valid_macs(mac):
    assert DeviceIn(mac=mac, firmware="1").mac == mac


@pytest.mark.parametrize(
    "body",
    [
        {"firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6-34"},
        {"mac": None, "firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6-34", "firmware": None},
        {"mac": 123, "firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6-34", "firmware": 1},
        {"mac": "EF-2B-C4:F5-D6-34", "firmware": "1"},  # mixed separators
        {"mac": "EF2BC4F5D634", "firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6", "firmware": "1"},
        {"mac": "GG-2B-C4-F5-D6-34", "firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6-34\n", "firmware": "1"},
        {"mac": "EF-2B-C4-F5-D6-34", "firmware": ""},
        {"mac": "EF-2B-C4-F5-D6-34", "firmware": "x" * 256},
        [VALID],
        "text",
    ],
)
def test_invalid_body_is_422(client, body):
    response = client.post("/api/devices", json=body)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_malformed_json_is_422(client):
    response = client.post(
        "/api/devices", content=b'{"mac": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfd",
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\xff"}',
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\xed\xa0\x80"}',  # UTF-8-encoded surrogate
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "\\ud800"}',  # escaped lone surrogate
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "x": NaN}',
        b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "x": 1' + b"0" * 5000 + b"}",
        b'{"a":' * 6000 + b"1" + b"}" * 6000,
        b"[" * 30000 + b"]" * 30000,
    ],
)
def test_body_that_is_not_utf8_json_is_422(client, body):
    response = client.post(
        "/api/devices", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_nul_in_firmware_is_422(client):
    response = client.post("/api/devices", json={**VALID, "firmware": "a\u0000b"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "firmware"]


def test_firmware_of_255_chars_is_valid():
    assert len(DeviceIn(mac="EF-2B-C4-F5-D6-34", firmware="x" * 255).firmware) == 255


def test_database_down_is_503_json(client):
    response = client.post("/api/devices", json=VALID)
    assert response.status_code == 503
    assert response.json()["detail"]


# --- Idempotency-Key: checked before any database work ---------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        [("Idempotency-Key", "")],
        [("Idempotency-Key", "k" * 256)],
        [("Idempotency-Key", "a key")],
        [("Idempotency-Key", "tab\tkey")],
        [("Idempotency-Key", b"cl\xe9")],  # a Latin-1 byte
        [("Idempotency-Key", "same"), ("Idempotency-Key", "same")],
        [("Idempotency-Key", "one"), ("Idempotency-Key", "two")],
    ],
    ids=["empty", "256 chars", "space", "tab", "non-ASCII", "twice", "two values"],
)
def test_invalid_idempotency_key_is_422(client, headers):
    response = client.post("/api/devices", json=VALID, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "idempotency-key"]


@pytest.mark.parametrize("key", ["~", "k" * 255, "".join(chr(c) for c in range(0x21, 0x7F))])
def test_valid_idempotency_key_reaches_the_database(client, key):
    response = client.post("/api/devices", json=VALID, headers={"Idempotency-Key": key})
    assert response.status_code == 503  # the unit tests' database is down


# --- 503 or 504: where the write failed -------------------------------------------------


class FakeSession:
    """The request's session: its INSERT (flush) or COMMIT fails as told."""

    def __init__(self, insert_error: Exception | None, commit_error: Exception | None) -> None:
        self.insert_error, self.commit_error = insert_error, commit_error

    def add(self, row) -> None:
        self.row = row

    async def flush(self) -> None:
        if self.insert_error:
            raise self.insert_error
        self.row.id = 1

    async def commit(self) -> None:
        if self.commit_error:
            raise self.commit_error


@pytest.fixture
def session_failing(client):
    from app.api.deps import get_session

    def use(insert_error: Exception | None = None, commit_error: Exception | None = None):
        client.app.dependency_overrides[get_session] = lambda: FakeSession(
            insert_error, commit_error
        )
        return client.post("/api/devices", json=VALID)

    yield use
    client.app.dependency_overrides.clear()


def test_insert_timed_out_is_503_the_transaction_rolled_back(session_failing):
    response = session_failing(insert_error=TimeoutError())
    assert (response.status_code, response.json()) == (503, {"detail": "database unavailable"})


def test_commit_refused_by_the_server_is_503(session_failing):
    refused = DBAPIError("COMMIT", None, Exception("could not serialize access"))
    response = session_failing(commit_error=refused)
    assert (response.status_code, response.json()) == (503, {"detail": "database unavailable"})


@pytest.mark.parametrize("error", [TimeoutError(), ConnectionResetError("private detail")])
def test_commit_without_an_answer_is_504_outcome_unknown(session_failing, error):
    response = session_failing(commit_error=error)
    assert response.status_code == 504
    assert response.json() == {"detail": "postgres timed out: outcome unknown"}


def test_commit_answered_is_201(session_failing):
    response = session_failing()
    assert response.status_code == 201  # memcached is down: still created
    assert response.json()["id"] == 1
