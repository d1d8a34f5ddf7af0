"""Errors as CONTRACT.md wants them, through Django's test client: only views and paths that
never reach a database or memcached (the conftest points every dependency at a dead port)."""

import pytest
from django.test import Client


@pytest.fixture
def client():
    return Client()


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert isinstance(response.json()["detail"], str)


def test_devices_list(client):
    response = client.get("/api/devices")
    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [1, 2, 3]
    assert response["Content-Length"] == str(len(response.content))


@pytest.mark.parametrize("n, value", [("0", 0), ("1", 1), ("10", 55), ("20", 6765)])
def test_fib(client, n, value):
    assert client.get(f"/api/fib/{n}").json() == {"n": int(n), "fibonacci": value}


@pytest.mark.parametrize("n", ["abc", "-1", "36", "1.5"])
def test_fib_bad_input_is_422_not_404(client, n):
    assert_json_error(client.get(f"/api/fib/{n}"), 422)


@pytest.mark.parametrize("path", ["/", "/nope", "/api/devices/", "/api/fib/", "/api/fib/1/2"])
def test_unknown_path_is_json_404(client, path):
    assert_json_error(client.get(path), 404)


@pytest.mark.parametrize(
    "method, path",
    [
        ("delete", "/api/devices"),
        ("put", "/api/devices"),
        ("post", "/api/users"),
        ("get", "/api/io-mix"),
        ("post", "/api/fib/3"),
        ("post", "/livez"),
        ("post", "/healthz"),
        ("post", "/metrics"),
    ],
)
def test_wrong_method_is_json_405(client, method, path):
    response = getattr(client, method)(path)
    assert_json_error(response, 405)
    assert response.has_header("Allow")


def test_invalid_device_is_422(client):
    response = client.post(
        "/api/devices", b'{"mac": "nope", "firmware": "1"}', content_type="application/json"
    )
    assert_json_error(response, 422)


@pytest.mark.parametrize("path", ["/api/devices", "/api/io-mix"])
def test_body_over_64_kib_is_413(client, path):
    response = client.post(path, b"x" * 65537, content_type="application/json")
    assert_json_error(response, 413)


def test_body_of_exactly_64_kib_is_read(client):
    padding = "x" * (65536 - len('{"mac": "nope", "firmware": "1", "p": ""}'))
    raw = f'{{"mac": "nope", "firmware": "1", "p": "{padding}"}}'.encode()
    assert len(raw) == 65536
    assert_json_error(client.post("/api/devices", raw, content_type="application/json"), 422)


def test_users_bad_query_is_422(client):
    assert_json_error(client.get("/api/users?limit=0"), 422)
    assert_json_error(client.get("/api/users?after=x"), 422)


def test_livez_is_ok_with_every_dependency_down(client):
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_lists_every_contract_series_from_startup(client):
    text = client.get("/metrics").content.decode()
    for op, db in [
        ("insert", "postgres"),
        ("set", "memcache"),
        ("select", "postgres"),
        ("get", "external"),
        ("mix", "mysql"),
    ]:
        assert f'app_op_errors_total{{db="{db}",op="{op}"}} 0.0' in text
        assert f'app_op_duration_seconds_count{{db="{db}",op="{op}"}}' in text
