import pytest

from app.api.routes.fib import fib


def test_fib_values():
    assert [fib(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert fib(25) == 75025


def test_fib_endpoint(client):
    assert client.get("/api/fib/20").json() == {"n": 20, "fibonacci": 6765}
    assert client.get("/api/fib/0").json() == {"n": 0, "fibonacci": 0}


@pytest.mark.parametrize("n", ["-1", "36", "1.5", "abc", "99999999999999999999"])
def test_out_of_range_is_422(client, n):
    assert client.get(f"/api/fib/{n}").status_code == 422
