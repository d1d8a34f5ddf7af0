"""Hostile input, by hand, against every service: huge and deeply nested bodies, invalid UTF-8,
absurd numbers, slow-loris clients. A service may refuse anything here (4xx with a JSON
detail); it may never answer 500, crash, or stop serving other clients.

Where CONTRACT.md leaves the answer open (a lenient JSON parser, "+5" as an integer, how long a
slow client is tolerated), the test asserts only the rules above and records what the service
did (HOSTILE_REPORT, see conftest.py; docs/security.md).

SLOWLORIS_SECONDS (default 12) bounds each slow-loris test; SLOWLORIS_CLIENTS (default 200) is
the size of the crowd.
"""

from __future__ import annotations

import json
import os
import threading
import time

import httpx
import pytest

from tests.contract.test_contract import assert_json_error
from tests.hostile import clients

SLOW_SECONDS = float(os.environ.get("SLOWLORIS_SECONDS", "12"))
CROWD = int(os.environ.get("SLOWLORIS_CLIENTS", "200"))
TEN_MB = 10 * 1024 * 1024
JSON = {"content-type": "application/json"}
MAC = b'"mac": "EF-2B-C4-F5-D6-34"'


def assert_still_serving(target) -> None:
    assert target.running is None or target.running.alive(), f"{target.name} died"
    resp = httpx.get(f"{target.base_url}/healthz", timeout=10)
    assert resp.status_code == 200, f"{target.name} no longer healthy: {resp.status_code} {resp.text[:200]}"


def post(http: httpx.Client, body: bytes) -> httpx.Response:
    return http.post("/api/devices", content=body, headers=JSON)


def assert_refused_or_created_as_sent(resp: httpx.Response, body: bytes) -> None:
    """201 with the firmware exactly as sent, or a JSON 4xx; never a 5xx."""
    assert resp.status_code < 500, f"{resp.status_code}: {resp.text[:300]}"
    if resp.status_code == 201:
        assert resp.json()["firmware"] == json.loads(body)["firmware"], "firmware not stored as sent"
    else:
        assert_json_error(resp, resp.status_code)


# --- bodies ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/devices", "/api/io-mix"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_ten_megabyte_body_is_413(target, observe, path, chunked):
    """CONTRACT.md, general rules: a body over 65536 bytes is 413, on every POST."""
    answer = clients.post_huge(target.base_url, path, TEN_MB, chunked=chunked)
    observe(path=path, chunked=chunked, status=answer.status, body_bytes_read=answer.sent,
            error=answer.error)
    assert answer.status == 413, f"want 413, got {answer.status} {answer.error} {answer.body[:200]!r}"
    assert "detail" in json.loads(answer.body)
    assert_still_serving(target)


NESTED = {
    # Over the size limit too: 413 for the size, or 422 if the parser gave up first.
    "100000 [": (b"[" * 100_000, {413, 422}),
    "30000 balanced [ ]": (b"[" * 30_000 + b"]" * 30_000, {422}),
    "6000 nested objects": (b'{"a":' * 6_000 + b"1" + b"}" * 6_000, {422}),
    "20000 levels in firmware": (b"{" + MAC + b', "firmware": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", {422}),
}


@pytest.mark.parametrize("case", NESTED)
def test_deeply_nested_json_is_refused(target, http, observe, case):
    body, allowed = NESTED[case]
    resp = post(http, body)
    observe(case=case, status=resp.status_code)
    assert resp.status_code in allowed, f"want {allowed}, got {resp.status_code}: {resp.text[:300]}"
    assert_json_error(resp, resp.status_code)
    assert_still_serving(target)


INVALID_UTF8 = {
    "garbage bytes": b"\xff\xfe\xfd",
    "0xff in firmware": b"{" + MAC + b', "firmware": "\xff"}',
    "overlong slash": b"{" + MAC + b', "firmware": "\xc0\xaf"}',
    "UTF-8-encoded surrogate": b"{" + MAC + b', "firmware": "\xed\xa0\x80"}',
    "truncated sequence": b"{" + MAC + b', "firmware": "1.0\xe2\x82"}',
    "0xff in a field ignored": b"{" + MAC + b', "firmware": "1.0", "x": "\xff"}',
}


@pytest.mark.parametrize("case", INVALID_UTF8)
def test_invalid_utf8_is_422(target, http, observe, case):
    """JSON is UTF-8 (RFC 8259 section 8.1): a body that is not is malformed JSON."""
    resp = post(http, INVALID_UTF8[case])
    observe(case=case, status=resp.status_code, answer=resp.text[:120])
    assert_json_error(resp, 422)
    assert_still_serving(target)


UNSTORABLE = {
    # Valid JSON whose strings PostgreSQL text cannot hold as sent.
    "NUL in firmware": b"{" + MAC + b', "firmware": "a\\u0000b"}',
    "lone surrogate in firmware": b"{" + MAC + b', "firmware": "\\ud800"}',
}


@pytest.mark.parametrize("case", UNSTORABLE)
def test_unstorable_firmware_is_refused_not_a_server_error(target, http, observe, case):
    """422 is the answer; 503 would tell a monitor that PostgreSQL is down when it is not."""
    resp = post(http, UNSTORABLE[case])
    observe(case=case, status=resp.status_code, answer=resp.text[:120])
    assert_refused_or_created_as_sent(resp, UNSTORABLE[case])
    assert_still_serving(target)


LENIENT = {
    # Outside what the contract suite pins down: recorded; any JSON 4xx or a 201 is fine.
    "UTF-8 byte order mark": b"\xef\xbb\xbf{" + MAC + b', "firmware": "1.0"}',
    "UTF-16 body": ("{" + MAC.decode() + ', "firmware": "1.0"}').encode("utf-16"),
    "NaN in a field ignored": b"{" + MAC + b', "firmware": "1.0", "x": NaN}',
    "5000-digit number in a field ignored": b"{" + MAC + b', "firmware": "1.0", "x": 1' + b"0" * 5000 + b"}",
    "1e999999 in a field ignored": b"{" + MAC + b', "firmware": "1.0", "x": 1e999999}',
    "duplicate mac, valid last": b'{"mac": "nope", ' + MAC + b', "firmware": "1.0"}',
}


@pytest.mark.parametrize("case", LENIENT)
def test_lenient_json_is_never_a_server_error(target, http, observe, case):
    resp = post(http, LENIENT[case])
    observe(case=case, status=resp.status_code)
    assert resp.status_code in {201, 413, 422}, f"{resp.status_code}: {resp.text[:300]}"
    if resp.status_code != 201:
        assert_json_error(resp, resp.status_code)


# --- numbers -------------------------------------------------------------------------------

NOT_DECIMAL_INTEGERS = [
    "/api/fib/99999999999999999999999999", "/api/fib/" + "9" * 400, "/api/fib/-99999999999999999999",
    "/api/fib/1_0", "/api/fib/%205", "/api/fib/5%20", "/api/fib/0x10", "/api/fib/%D9%A3",
    "/api/fib/5%00", "/api/fib/3.0", "/api/fib/Infinity", "/api/fib/NaN",
    "/api/users?limit=-5", "/api/users?limit=-99999999999999999999", "/api/users?limit=abc",
    "/api/users?limit=1_0", "/api/users?limit=%205", "/api/users?limit=0x10", "/api/users?limit=%D9%A3",
    "/api/users?limit=5%00", "/api/users?limit=" + "9" * 400, "/api/users?limit=true",
    "/api/users?after=-5", "/api/users?after=abc", "/api/users?after=-2147483649",
    "/api/users?after=1_000", "/api/users?after=%D9%A3",
    # CONTRACT.md: plain digits only, so a sign is 422 even where the language's parser takes it.
    "/api/fib/%2B5", "/api/fib/-0", "/api/users?limit=%2B5", "/api/users?after=-0",
    "/api/users?limit=", "/api/fib/" + "0" * 11 + "5",
]


@pytest.mark.parametrize("path", NOT_DECIMAL_INTEGERS)
def test_not_a_decimal_integer_in_range_is_422(target, http, observe, path):
    """CONTRACT.md: n, limit and after are decimal integers in their range; anything else
    (a Python-style 1_0, a space, a non-ASCII digit, a NUL) is 422."""
    resp = http.get(path)
    observe(path=path[:60], status=resp.status_code)
    assert_json_error(resp, 422)


def test_fib_out_of_range_is_refused_before_computing(http):
    """The bound is what keeps the naive recursion from being a denial of service: fib(60)
    would run for hours, so the answer must come at once."""
    assert_json_error(http.get("/api/fib/60", timeout=2), 422)


AMBIGUOUS_INTEGERS = ["/api/fib/05", "/api/users?limit=005", "/api/users?limit=1&limit=2"]


@pytest.mark.parametrize("path", AMBIGUOUS_INTEGERS)
def test_ambiguous_integers_are_never_a_server_error(target, http, observe, path):
    """A leading zero (still plain digits), a repeated parameter: 200 or 422 are both defensible."""
    resp = http.get(path)
    observe(path=path, status=resp.status_code)
    assert resp.status_code in {200, 422}, f"{resp.status_code}: {resp.text[:300]}"
    if resp.status_code == 422:
        assert_json_error(resp, 422)


# --- slow clients --------------------------------------------------------------------------

class NormalClient:
    """Another client, on fresh connections, asking GET /api/devices every quarter second."""

    def __init__(self, base_url: str):
        self.base_url, self.results, self._stop = base_url, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                status = httpx.get(f"{self.base_url}/api/devices", timeout=5).status_code
            except httpx.HTTPError as e:
                status = type(e).__name__
            self.results.append((status, time.monotonic() - started))
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)

    def summary(self) -> dict:
        failed = [s for s, _ in self.results if s != 200]
        return {"requests": len(self.results), "failed": len(failed), "failures": sorted(set(map(str, failed))),
                "slowest_s": round(max((t for _, t in self.results), default=0), 3)}


def test_slow_loris(target, observe):
    """One client sending a header byte per second: others are served meanwhile; what the
    service does with the slow one (and when) is recorded."""
    with NormalClient(target.base_url) as normal:
        outcome = clients.slow_loris(target.base_url, SLOW_SECONDS)
    others = normal.summary()
    observe(slow_client=outcome.what, after_s=round(outcome.after, 1), status_line=outcome.status_line,
            bound_s=SLOW_SECONDS, others=others)
    assert others["requests"] > 0 and others["failed"] == 0, others
    assert_still_serving(target)


# A measured weakness of a reference configuration, kept visible rather than hidden: gunicorn's
# gthread worker gives each connection whose headers it reads one of its 8 threads, with no
# deadline (services/django/README.md, "Measured weakness: slow clients"). strict: if it ever
# passes, the mark must go.
KNOWN_SLOW_LORIS_FAILURES = {"django": "gunicorn gthread: 8 slow clients hold all 8 threads"}


def test_slow_loris_crowd(target, observe, request):
    """CROWD slow clients at once, while a normal client must still get every answer."""
    if target.name in KNOWN_SLOW_LORIS_FAILURES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_SLOW_LORIS_FAILURES[target.name]))
    with NormalClient(target.base_url) as normal:
        crowd = clients.slow_loris_crowd(target.base_url, CROWD, SLOW_SECONDS)
    others = normal.summary()
    observe(clients=CROWD, opened=crowd.opened, refused=crowd.refused, dropped=crowd.dropped,
            still_open=crowd.still_open, first_drop_s=crowd.first_drop and round(crowd.first_drop, 1),
            bound_s=SLOW_SECONDS, others=others)
    assert others["requests"] > 0 and others["failed"] == 0, (
        f"{target.name} stopped serving others under {CROWD} slow clients: {others}")
    assert_still_serving(target)
