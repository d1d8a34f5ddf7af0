import pytest

from app.api.routes.fib import fib


def test_fib_values():
    assert [fib(n) for n in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    assert fib(25) == 75025


def test_fib_endpoint(client):
    assert client.get("/api/fib/20").json() == {"n": 20, "fibonacci": 6765}
    assert client.get("/api/fib/0").json() == {"n": 0, "fibonacci": 0}


# Out of range, or not plain decimal digits (pydantic alone would read " 5", "1_0", "3.0").
@pytest.mark.parametrize(
    "n",
    [
        "-1",
        "36",
        "1.5",
        "abc",
        "99999999999999999999",
        "1_0",
        "%205",
        "5%20",
        "3.0",
        "+5",
        "%D9%A3",
    ],
)
def test_out_of_range_is_422(client, n):
    assert client.get(f"/api/fib/{n}").status_code == 422


def test_openapi_keeps_the_range_as_minimum_and_maximum(client):
    (n,) = client.get("/openapi.json").json()["paths"]["/api/fib/{n}"]["get"]["parameters"]
    assert n["schema"] == {"type": "integer", "minimum": 0, "maximum": 35, "title": "N"}
