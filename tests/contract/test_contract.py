"""The contract suite: every rule of CONTRACT.md, checked against a running service.

It is the gate of the benchmark: no service is measured unless it passes.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from loadtest.core import error_details

DEVICES = [
    {"id": 1, "uuid": "9add349c-c35c-4d32-ab0f-53da1ba40a2a", "mac": "EF-2B-C4-F5-D6-34", "firmware": "2.1.5",
     "created_at": "2024-05-28T15:21:51.137Z", "updated_at": "2024-05-28T15:21:51.137Z"},
    {"id": 2, "uuid": "d2293412-36eb-46e7-9231-af7e9249fffe", "mac": "E7-34-96-33-0C-4C", "firmware": "1.0.3",
     "created_at": "2024-01-28T15:20:51.137Z", "updated_at": "2024-01-28T15:20:51.137Z"},
    {"id": 3, "uuid": "eee58ca8-ca51-47a5-ab48-163fd0e44b77", "mac": "68-93-9B-B5-33-B9", "firmware": "4.3.1",
     "created_at": "2024-08-28T15:18:21.137Z", "updated_at": "2024-08-28T15:18:21.137Z"},
]
MS_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OPS = {("insert", "postgres"), ("set", "memcache"), ("select", "postgres"), ("get", "external"), ("mix", "mysql")}
IO_MIX = {"transactions": 8, "rows_created": 80, "rows_updated": 40, "rows_deleted": 80, "file_operations": 2}
BOUND_SECONDS = 5  # CONTRACT.md: a dead dependency is answered within 5 s
BODY_LIMIT = 65536  # CONTRACT.md: a larger body is 413
# A server may close the connection after a 413 it answered before reading the whole body; the
# client must not then reuse that connection for the next test (a race, likelier through a proxy).
REJECTED_BODY_HEADERS = {"content-type": "application/json", "connection": "close"}
DEFAULT_PAGE = range(1, 101)  # GET /api/users without parameters: limit 100 after 0


def assert_no_driver_text(detail: object) -> None:
    """CONTRACT.md: a 5xx detail is a fixed phrase, without driver text (loadtest/core/error_details.py)."""
    why = error_details.driver_text(detail)
    assert why is None, f"5xx detail carries driver text ({why}): {detail!r}"


def assert_json_error(resp: httpx.Response, status: int) -> None:
    assert resp.status_code == status, f"want {status}, got {resp.status_code}: {resp.text[:300]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body, dict) and "detail" in body, body
    if status >= 500:  # every 5xx the suite provokes: dead dependencies, a failing or slow mock
        assert_no_driver_text(body["detail"])


@pytest.mark.parametrize("detail", [
    "postgres: error connecting to server: Connection refused (os error 111)",
    "connection failed: connection to server at \"127.0.0.1\", port 26432 failed: timeout expired",
    "mysql unavailable: TimeoutError",
    "(2003, \"Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)\")",
    "db error: ERROR: terminating connection due to administrator command (SQLSTATE 57P01)",
    "terminating connection due to administrator command 57P01",
    "upstream failed: ConnectError",
    "error sending request for url (http://localhost/external)",
    "Connection reset by peer",
    "postgres: deadline has elapsed",
    "Traceback (most recent call last):",
    "memcached: PoolError",
    "tokio_postgres::Error",
])
def test_driver_text_is_recognised(detail):
    """The check above is only as good as its patterns: each of these real driver messages
    (from this repository's services before the rule) must be caught."""
    with pytest.raises(AssertionError):
        assert_no_driver_text(detail)


@pytest.mark.parametrize("detail", [
    "postgres unavailable", "mysql unavailable", "memcached unavailable", "database unavailable",
    "Database unavailable", "upstream failed", "upstream timed out", "Upstream timed out",
    "postgres, mysql, memcached unavailable", "postgres unavailable; mysql unavailable",
    "down: postgres, mysql, memcached", "the external service did not answer in time",
])
def test_fixed_phrases_pass(detail):
    assert_no_driver_text(detail)


def user(i: int) -> dict:
    minutes = i
    hh, mm = divmod(minutes, 60)
    dd, hh = divmod(hh, 24)
    return {"user_id": i, "username": f"user_{i:04d}", "email": f"user_{i:04d}@example.com",
            "created_at": f"2024-01-{1 + dd:02d}T{hh:02d}:{mm:02d}:00Z"}


def memcached_ttl(addr: str, key: str) -> int:
    """Remaining TTL of a key, through memcached's meta protocol (`mg <key> t`)."""
    host, port = addr.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"mg {key} t\r\n".encode())
        line = s.makefile("rb").readline().decode().split()
    assert line[0] == "HD", line
    return int(next(f[1:] for f in line[1:] if f.startswith("t")))


def metric_samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        out.setdefault(family.name, []).extend(family.samples)
    return out


def errors_counter(http: httpx.Client, op: str, db: str) -> float:
    samples = metric_samples(http.get("/metrics").text)
    for s in samples.get("app_op_errors", []):
        if s.name == "app_op_errors_total" and s.labels.get("op") == op and s.labels.get("db") == db:
            return s.value
    raise AssertionError(f"app_op_errors_total{{op={op},db={db}}} missing")


def new_device(mac: str | None = None) -> dict:
    return {"mac": mac or "EF-2B-C4-F5-D6-34", "firmware": f"fw-{uuid.uuid4().hex[:8]}"}


# --- 1. GET /api/devices -----------------------------------------------------------------

def test_devices_list_is_exact(http):
    resp = http.get("/api/devices")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == DEVICES


# --- 2. POST /api/devices ----------------------------------------------------------------

def test_create_device_round_trip(http, pg, memcache, servers):
    body = new_device()
    resp = http.post("/api/devices", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    dev = resp.json()
    assert set(dev) == {"id", "uuid", "mac", "firmware", "created_at", "updated_at"}
    assert dev["mac"] == body["mac"] and dev["firmware"] == body["firmware"]
    assert uuid.UUID(dev["uuid"]).version == 4
    assert MS_TIMESTAMP.match(dev["created_at"]) and dev["created_at"] == dev["updated_at"]
    assert isinstance(dev["id"], int) and dev["id"] > 0

    row = pg.execute("SELECT id, mac, firmware FROM devices WHERE uuid = %s", (dev["uuid"],)).fetchone()
    assert row == (dev["id"], body["mac"], body["firmware"])

    cached = memcache.get(f"device:{dev['uuid']}")
    assert cached is not None, "device not cached"
    assert json.loads(cached) == dev
    assert 0 < memcached_ttl(servers.memcached_addr, f"device:{dev['uuid']}") <= 20


@pytest.mark.parametrize("mac", ["ef:2b:c4:f5:d6:34", "00-11-22-aa-BB-cc", "AA:BB:CC:DD:EE:FF"])
def test_create_device_accepts_valid_macs(http, mac):
    resp = http.post("/api/devices", json=new_device(mac))
    assert resp.status_code == 201, resp.text
    assert resp.json()["mac"] == mac


def test_create_device_ignores_extra_fields_and_accepts_255_chars(http):
    resp = http.post("/api/devices", json={"mac": "EF-2B-C4-F5-D6-34", "firmware": "é" * 255, "extra": [1]})
    assert resp.status_code == 201, resp.text
    assert resp.json()["firmware"] == "é" * 255


INVALID_BODIES = {
    "malformed json": b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": ',
    "empty body": b"",
    "array": b'[{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1"}]',
    "string": b'"EF-2B-C4-F5-D6-34"',
    "missing mac": b'{"firmware": "1.0.0"}',
    "missing firmware": b'{"mac": "EF-2B-C4-F5-D6-34"}',
    "null mac": b'{"mac": null, "firmware": "1.0.0"}',
    "null firmware": b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": null}',
    "mac number": b'{"mac": 123456, "firmware": "1.0.0"}',
    "firmware number": b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": 1.5}',
    "firmware object": b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": {"v": 1}}',
    "short mac": b'{"mac": "EF-2B-C4-F5-D6", "firmware": "1.0.0"}',
    "long mac": b'{"mac": "EF-2B-C4-F5-D6-34-11", "firmware": "1.0.0"}',
    "non-hex mac": b'{"mac": "EF-2B-C4-F5-D6-3G", "firmware": "1.0.0"}',
    "mixed separators": b'{"mac": "EF-2B:C4-F5-D6-34", "firmware": "1.0.0"}',
    "no separators": b'{"mac": "EF2BC4F5D634", "firmware": "1.0.0"}',
    "empty mac": b'{"mac": "", "firmware": "1.0.0"}',
    "padded mac": b'{"mac": " EF-2B-C4-F5-D6-34", "firmware": "1.0.0"}',
    "empty firmware": b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": ""}',
    "firmware 256 chars": json.dumps({"mac": "EF-2B-C4-F5-D6-34", "firmware": "x" * 256}).encode(),
}


@pytest.mark.parametrize("case", INVALID_BODIES, ids=list(INVALID_BODIES))
def test_create_device_rejects_invalid_body(http, pg, case):
    # Count only rows this body could have created: other runs may insert devices meanwhile.
    try:
        firmware = json.loads(INVALID_BODIES[case])["firmware"]
    except (ValueError, TypeError, KeyError):
        firmware = None

    def rows() -> int:
        if not isinstance(firmware, str):
            return 0
        return pg.execute("SELECT count(*) FROM devices WHERE firmware = %s", (firmware,)).fetchone()[0]

    before = rows()
    resp = http.post("/api/devices", content=INVALID_BODIES[case], headers={"content-type": "application/json"})
    assert_json_error(resp, 422)
    assert rows() == before


@pytest.mark.parametrize("size", [BODY_LIMIT + 1, 1_000_000])
def test_create_device_rejects_large_body(http, size):
    prefix = b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "padding": "'
    body = prefix + b"x" * (size - len(prefix) - 2) + b'"}'
    assert len(body) == size
    resp = http.post("/api/devices", content=body, headers=REJECTED_BODY_HEADERS)
    assert_json_error(resp, 413)


def test_create_device_accepts_body_at_the_limit(http):
    prefix = b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "padding": "'
    body = prefix + b"x" * (BODY_LIMIT - len(prefix) - 2) + b'"}'
    resp = http.post("/api/devices", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 201, resp.text


def test_create_device_rejects_large_chunked_body(http):
    """No Content-Length: the limit must hold for streamed bodies too."""
    def chunks():
        yield b'{"mac": "EF-2B-C4-F5-D6-34", "firmware": "1", "padding": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'
    resp = http.post("/api/devices", content=chunks(), headers=REJECTED_BODY_HEADERS)
    assert_json_error(resp, 413)


def test_memcached_down_still_creates_device(no_memcached, pg):
    with httpx.Client(base_url=no_memcached.base_url, timeout=30) as http:
        before = errors_counter(http, "set", "memcache")
        started = time.monotonic()
        resp = http.post("/api/devices", json=new_device())
        assert time.monotonic() - started < BOUND_SECONDS
        assert resp.status_code == 201, resp.text
        dev = resp.json()
        assert pg.execute("SELECT id FROM devices WHERE uuid = %s", (dev["uuid"],)).fetchone() == (dev["id"],)
        assert errors_counter(http, "set", "memcache") > before


def test_postgres_down_gives_503_and_caches_nothing(no_dependencies):
    with httpx.Client(base_url=no_dependencies.base_url, timeout=30) as http:
        for method, path, body in [("POST", "/api/devices", new_device()), ("GET", "/api/users", None)]:
            started = time.monotonic()
            resp = http.request(method, path, json=body)
            assert time.monotonic() - started < BOUND_SECONDS, f"{path} took too long"
            assert_json_error(resp, 503)


# --- 3. GET /api/users -------------------------------------------------------------------

def test_users_default_page(http):
    resp = http.get("/api/users")
    assert resp.status_code == 200
    assert resp.json() == [user(i) for i in DEFAULT_PAGE]


@pytest.mark.parametrize(("query", "ids"), [
    ("limit=5&after=1995", range(1996, 2001)),
    ("limit=1", range(1, 2)),
    ("after=1950", range(1951, 2001)),
    ("limit=100&after=1000", range(1001, 1101)),
    ("after=2000", range(0)),
    ("after=2147483647", range(0)),
    ("limit=3&after=1439", range(1440, 1443)),  # crosses midnight of 2024-01-02
])
def test_users_paging(http, query, ids):
    resp = http.get(f"/api/users?{query}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == [user(i) for i in ids]


@pytest.mark.parametrize("query", [
    "limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1.5", "limit=",
    "after=-1", "after=abc", "after=2147483648", "after=99999999999999999999999", "after=1e3",
])
def test_users_rejects_bad_params(http, query):
    assert_json_error(http.get(f"/api/users?{query}"), 422)


# --- 4. GET /api/fib/{n} -----------------------------------------------------------------

@pytest.mark.parametrize(("n", "value"), [(0, 0), (1, 1), (2, 1), (10, 55), (20, 6765), (25, 75025)])
def test_fib_values(http, n, value):
    resp = http.get(f"/api/fib/{n}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"n": n, "fibonacci": value}


def test_fib_upper_bound_is_accepted(http):
    resp = http.get("/api/fib/35", timeout=120)
    assert resp.json() == {"n": 35, "fibonacci": 9227465}


@pytest.mark.parametrize("n", ["-1", "36", "abc", "1.5", "99999999999999999999999", "1e2"])
def test_fib_rejects_bad_n(http, n):
    assert_json_error(http.get(f"/api/fib/{n}"), 422)


# --- 5. GET /api/fetch-external ----------------------------------------------------------

def test_fetch_external_relays_upstream_json(http, mock):
    mock(delay_ms=0)
    resp = http.get("/api/fetch-external")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"message": "External service response"}


def test_fetch_external_with_default_delay(http):
    started = time.monotonic()
    resp = http.get("/api/fetch-external")
    assert resp.status_code == 200, resp.text
    assert time.monotonic() - started >= 0.45, "the mock's 500 ms delay was skipped"


@pytest.mark.parametrize("kwargs", [{"status": 500}, {"status": 404}, {"body": "invalid"}])
def test_fetch_external_upstream_error_is_502(http, mock, kwargs):
    mock(**kwargs)
    assert_json_error(http.get("/api/fetch-external"), 502)


def test_fetch_external_timeout_is_504(http, mock):
    mock(delay_ms=4000)  # EXTERNAL_TIMEOUT_SECONDS is 2
    started = time.monotonic()
    resp = http.get("/api/fetch-external")
    elapsed = time.monotonic() - started
    assert_json_error(resp, 504)
    assert 1.5 <= elapsed < 3.9, f"timeout not honoured: {elapsed:.1f} s"


def test_fetch_external_refused_is_502(no_dependencies):
    with httpx.Client(base_url=no_dependencies.base_url, timeout=30) as http:
        assert_json_error(http.get("/api/fetch-external"), 502)


# --- 6. POST /api/io-mix -----------------------------------------------------------------

def test_io_mix(http, mysql):
    def count():
        with mysql.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM mix_items")
            return cur.fetchone()[0]

    before = count()
    for _ in range(2):
        resp = http.post("/api/io-mix")
        assert resp.status_code == 200, resp.text
        assert resp.json() == IO_MIX
    assert count() == before


def test_io_mix_concurrent_requests_do_not_deadlock(target, mysql):
    """Ten clients at once, five requests each: every one must succeed (see CONTRACT.md)."""
    import asyncio

    async def client(http: httpx.AsyncClient) -> list[int]:
        return [(await http.post("/api/io-mix")).status_code for _ in range(5)]

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=target.base_url, timeout=60) as http:
            results = await asyncio.gather(*(client(http) for _ in range(10)))
        return [code for codes in results for code in codes]

    with mysql.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mix_items")
        before = cur.fetchone()[0]
    codes = asyncio.run(burst())
    assert codes.count(200) == len(codes), {c: codes.count(c) for c in set(codes)}
    with mysql.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mix_items")
        assert cur.fetchone()[0] == before


def test_io_mix_mysql_down_is_503(no_dependencies):
    with httpx.Client(base_url=no_dependencies.base_url, timeout=30) as http:
        started = time.monotonic()
        resp = http.post("/api/io-mix")
        assert time.monotonic() - started < BOUND_SECONDS
        assert_json_error(resp, 503)


# --- 7. GET /healthz and GET /livez -------------------------------------------------------

def test_healthz_ok(http):
    resp = http.get("/healthz")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


def test_healthz_names_what_is_down(no_memcached, no_dependencies):
    for running, down in [(no_memcached, {"memcached"}), (no_dependencies, {"postgres", "mysql", "memcached"})]:
        started = time.monotonic()
        resp = httpx.get(f"{running.base_url}/healthz", timeout=30)
        assert time.monotonic() - started < BOUND_SECONDS
        assert_json_error(resp, 503)
        assert set(resp.json()["down"]) == down
        assert resp.json()["status"] == "unavailable"


def test_livez_ok(http):
    resp = http.get("/livez")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"status": "ok"}


def test_livez_touches_no_dependency(no_dependencies):
    """Liveness asks the process alone: with every dependency down, /livez is 200 at once while
    /healthz is 503, so a liveness probe never restarts a process for a database's outage."""
    with httpx.Client(base_url=no_dependencies.base_url, timeout=30) as http:
        started = time.monotonic()
        resp = http.get("/livez")
        assert time.monotonic() - started < 1
        assert resp.status_code == 200
        assert resp.json() == {"status": "ok"}
        assert_json_error(http.get("/healthz"), 503)


# --- 8. GET /metrics ---------------------------------------------------------------------

def test_metrics_names_and_labels(http):
    resp = http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    samples = metric_samples(resp.text)

    histogram = {(s.labels["op"], s.labels["db"]) for s in samples.get("app_op_duration_seconds", [])
                 if s.name == "app_op_duration_seconds_count"}
    assert histogram >= OPS, f"histogram label pairs: {histogram}"
    counter = {(s.labels["op"], s.labels["db"]) for s in samples.get("app_op_errors", [])
               if s.name == "app_op_errors_total"}
    assert counter >= OPS, f"error counter label pairs: {counter}"

    pools = {s.labels.get("db") for s in samples.get("app_db_pool_size", [])}
    in_use = {s.labels.get("db") for s in samples.get("app_db_pool_in_use", [])}
    assert pools == in_use, "pool size and in-use gauges go together"
    assert pools <= {"postgres", "mysql"}


def test_metrics_count_operations(http):
    def count(op, db):
        for s in metric_samples(http.get("/metrics").text).get("app_op_duration_seconds", []):
            if s.name == "app_op_duration_seconds_count" and (s.labels["op"], s.labels["db"]) == (op, db):
                return s.value
        return 0.0

    before = count("select", "postgres")
    http.get("/api/users?limit=1")
    assert count("select", "postgres") >= before + 1


# --- general rules -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/nope", "/api", "/api/devices/1/x", "/api/fib"])
def test_unknown_path_is_404(http, path):
    assert_json_error(http.get(path), 404)


@pytest.mark.parametrize(("method", "path"), [
    ("DELETE", "/api/devices"), ("PUT", "/api/devices"), ("POST", "/api/users"),
    ("POST", "/api/fib/10"), ("GET", "/api/io-mix"), ("POST", "/healthz"), ("POST", "/livez"),
])
def test_wrong_method_is_405(http, method, path):
    assert_json_error(http.request(method, path), 405)


def test_keep_alive(target):
    with httpx.Client(base_url=target.base_url, timeout=10) as client:
        for _ in range(3):
            resp = client.get("/api/devices")
            assert resp.status_code == 200
            assert resp.headers.get("connection", "keep-alive").lower() != "close"
