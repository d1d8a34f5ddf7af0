import pytest

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
