"""The ab and locust adapters on real outputs (tests/fixtures/ab, tests/fixtures/locust) and
their command lines: counts by status and by transport error, window, percentiles."""

from pathlib import Path

import pytest

from loadtest.records.level import accounting
from loadtest.reproduce.base import CountedLoad
from loadtest.scenarios import SCENARIOS
from loadtest.tools import ab, get, locust, oha_n

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def read(tool: str, name: str) -> bytes:
    return (FIXTURES / tool / name).read_bytes()


def test_ab_all_answered():
    r = ab.parse(read("ab", "fib.txt"))
    assert r.status_codes == {"200": 200} and r.transport_errors == {}
    assert r.duration_s == pytest.approx(0.090)
    assert (r.latency_ms["p50"], r.latency_ms["p99"], r.latency_ms["max"]) == (4, 10, 11)
    assert r.latency_ms["mean"] == pytest.approx(4.485)


def test_ab_non_2xx_are_errors_without_a_status():
    r = ab.parse(read("ab", "422.txt"))
    assert r.status_codes == {ab.NON_2XX: 50}
    counts = accounting(r, 200)
    assert counts["ok"] == 0 and counts["errors"]["total"] == 50 and counts["availability"] == 0


def test_ab_refused_counts_each_request_once():
    r = ab.parse(read("ab", "refused.txt"))
    assert r.status_codes == {}
    assert sum(r.transport_errors.values()) == 50  # ab's own "Failed requests" says 75
    assert "receive 50" in next(iter(r.transport_errors))


def test_ab_rejects_other_text():
    with pytest.raises(ValueError, match="not an ab report"):
        ab.parse(b"apr_socket_connect(): Connection refused (111)")


def test_ab_command_line_bounds_time_then_count(monkeypatch):
    monkeypatch.setattr(ab, "binary", lambda: "ab")
    load = CountedLoad(SCENARIOS["fib"], 100, 60, keepalive=False, params={"fib_n": 30}, requests=1000)
    inv = get("ab").invocation(load, "http://h:1", Path("/tmp/x.txt"), Path("/tmp"))
    argv = inv.argv
    assert argv[-1] == "http://h:1/api/fib/30" and "-k" not in argv
    assert argv.index("-n") > argv.index("-t") and argv[argv.index("-n") + 1] == "1000"
    assert argv[argv.index("-c") + 1] == "100"


def test_locust_summary():
    r = locust.parse(read("locust", "devices-get.json"), 3)
    assert r.tool == "locust" and r.status_codes == {"200": 3866} and r.transport_errors == {}
    assert r.duration_s == pytest.approx(1.7607, rel=1e-3)  # first request to last answer
    assert r.latency_ms["p50"] == 1 and r.latency_ms["p99"] == 9


def test_locust_errors_by_status_and_transport():
    assert locust.parse(read("locust", "fib-422.json"), 3).status_codes == {"422": 2602}
    refused = locust.parse(read("locust", "refused.json"), 3)
    assert refused.status_codes == {} and refused.transport_errors == {"ConnectionRefusedError": 2236}
    assert accounting(refused, 200)["availability"] == 0


def test_locust_falls_back_to_the_load_duration():
    assert locust.parse(b'{"status_codes": {}, "transport_errors": {}, "latency_ms": {}}', 7).duration_s == 7


def test_locust_invocation_passes_the_request_by_environment(monkeypatch):
    monkeypatch.setattr(locust, "binary", lambda: "locust")
    load = CountedLoad(SCENARIOS["devices-post"], 50, 10, firmware_prefix="wsb-x-")
    inv = get("locust").invocation(load, "http://h:1", Path("/tmp/r/s.json"), Path("/tmp"))
    assert inv.env["LOCUST_METHOD"] == "POST" and inv.env["LOCUST_PATH"] == "/api/devices"
    assert inv.env["LOCUST_EXPECTED"] == "201" and "wsb-x-" in inv.env["LOCUST_BODY"]
    assert inv.env["SUMMARY_PATH"] == "/tmp/r/s.json"
    assert inv.argv[inv.argv.index("-u") + 1] == "50" and inv.argv[inv.argv.index("-t") + 1] == "10s"


def test_oha_n_replaces_the_duration_with_a_count(monkeypatch):
    monkeypatch.setattr("loadtest.tools.oha.binary", lambda: "oha")
    argv = oha_n.argv("http://h:1/api/users", 10, 50_000, keepalive=False)
    assert "-z" not in argv and argv[argv.index("-n") + 1] == "50000"
    assert "--disable-keepalive" in argv and "-w" not in argv
