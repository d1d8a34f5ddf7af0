import pytest
from app.routes.fib import fib


def test_fib_sequence():
    assert [fib(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]


@pytest.mark.parametrize("n", ["-1", "36", "x", "2.5"])
def test_fib_bounds(client, n):
    assert client.get(f"/api/fib/{n}").status_code == 422


def test_fib_endpoint(client):
    assert client.get("/api/fib/20").json() == {"n": 20, "fibonacci": 6765}


@pytest.mark.parametrize("n", ["%2B5", "1_0", "%205", "3.0", "-0", "%D9%A3", "000000000005"])
def test_fib_takes_plain_digits_only(client, n):
    assert client.get(f"/api/fib/{n}").status_code == 422


def test_io_mix_bounds_its_ignored_body(client):
    assert client.post("/api/io-mix", content=b"x" * 70000).status_code == 413
