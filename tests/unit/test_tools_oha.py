"""The oha adapter on captured real output: our accounting, not oha's own rates."""

from pathlib import Path

import pytest

from loadtest import tools
from loadtest.core.errors import GeneratorError
from loadtest.records.level import accounting
from loadtest.scenarios import Scenario
from loadtest.tools import Load, oha

FIXTURES = Path(__file__).parents[1] / "fixtures" / "oha"


def load(name):
    return oha.parse((FIXTURES / f"{name}.json").read_bytes())


def test_ok_run():
    r = load("ok")
    s = accounting(r, 200)
    assert r.status_codes == {"200": 51388}
    assert r.transport_errors == {}  # the deadline aborts are not errors...
    assert r.aborted_at_deadline == 10  # ...but they are recorded
    assert s["requests"] == s["ok"] == 51388
    assert s["rps"] == pytest.approx(51388 / 1.001352539)
    assert s["errors"]["total"] == 0 and s["availability"] == 1.0
    assert r.latency_ms["p50"] == pytest.approx(0.095844)
    assert r.latency_ms["max"] == pytest.approx(11.911516)
    assert all(r.latency_ms[k] is not None for k in ("p50", "p90", "p95", "p99", "max", "mean"))


def test_5xx_are_errors_although_oha_calls_them_success():
    s = accounting(load("5xx"), 200)
    assert s["requests"] == 18980 and s["ok"] == 0
    assert s["errors"]["status"] == {"503": 18980}
    assert s["error_rate"] == 1.0 and s["availability"] == 0.0


def test_connection_errors_are_not_requests():
    r = load("refused")
    s = accounting(r, 200)
    # oha's requestsPerSec is ~39,000 here: every refused connection counted.
    assert s["requests"] == 0 and s["rps"] == 0
    assert r.transport_errors["Connection refused (os error 111)"] == 39056
    assert s["errors"]["total"] == 39057  # + one "invalid HTTP version parsed"
    assert s["availability"] == 0.0
    assert r.latency_ms["p50"] is None and r.latency_ms["max"] is None


def test_timeouts_are_transport_errors():
    s = accounting(load("timeout"), 200)
    assert s["errors"]["transport"] == {"timeout": 180}
    assert s["requests"] == 0


def test_mixed_statuses():
    s = accounting(load("mixed"), 200)
    assert s["status_codes"] == {"200": 15187, "422": 15382, "503": 15444}
    assert s["ok"] == 15187
    assert s["errors"]["status"] == {"422": 15382, "503": 15444}
    assert s["availability"] == pytest.approx(15187 / 46013)


def test_devices_post_counts_201_as_success():
    s = accounting(load("devices_post_go_stdlib"), 201)
    assert s["ok"] == s["requests"] > 0 and s["errors"]["total"] == 0


def test_argv_pins_runtime_and_maps_options(tmp_path):
    argv = oha.argv("http://x/api", 30, 2.5, "POST", body_lines=tmp_path / "b.txt", keepalive=False)
    assert argv[argv.index("--worker-threads") + 1] == "1"
    assert argv[argv.index("-z") + 1] == "2.5s" and argv[argv.index("-c") + 1] == "30"
    assert "--disable-keepalive" in argv and "-Z" in argv and argv[-1] == "http://x/api"
    assert "--disable-keepalive" not in oha.argv("http://x/", 1, 1)


def open_level(name, rate, users):
    load_ = Load(Scenario("m", "GET", "/external/x", 200), users, 2, rate=rate)
    return oha.OHA.parse((FIXTURES / f"{name}.json").read_bytes(), load_)


def test_open_loop_delivered():
    # oha -q 500 --latency-correction -c 10 -z 2s -w against the mock, delay 0
    r = open_level("open_ok", 500, 10)
    assert r.duration_s == 2  # the arrival window, not summary.total (which covers -w's drain)
    assert r.arrivals == 1000 and r.sent == 1000 and r.dropped == 0
    assert tools.open_loop_delivered(r, 500) and not r.notes


def test_a_few_arrivals_missed_at_the_deadline_still_hold_the_rate():
    # oha -q 12672 for 10 s against go_stdlib: 4 of 126,720 arrivals not sent at the deadline
    r = open_level("open_ok", 500, 10)
    r.duration_s, r.arrivals, r.dropped = 10.0, 126_720, 4
    r.status_codes = {"200": 126_716}
    assert tools.open_loop_delivered(r, 12_672)
    r.dropped = 200  # 0.16 %: the generator did not hold the rate
    assert not tools.open_loop_delivered(r, 12_672)


def test_open_loop_that_could_not_hold_its_rate_is_flagged():
    # -q 200 with 2 connections against a 50 ms delay: at most 40/s leave, the rest wait in
    # oha's queue (their latency counts from the arrival) and are never sent at the deadline
    r = open_level("open_dropped", 200, 2)
    assert r.arrivals == 400 and r.sent == 78 and r.dropped == 322
    assert r.latency_ms["p99"] > 1000  # the queueing the correction measures
    assert not tools.open_loop_delivered(r, 200)
    assert "322 never sent" in r.notes[0]


def test_open_loop_rule_tolerates_two_percent_and_almost_no_drop():
    r = open_level("open_ok", 500, 10)
    assert tools.open_loop_delivered(r, 500 / 0.981)  # 98.1 % of the target sent
    assert not tools.open_loop_delivered(r, 500 / 0.97)
    r.dropped = 2  # of 1,000 due: 0.2 %
    assert not tools.open_loop_delivered(r, 500)
    r.dropped = 1  # 0.1 %
    assert tools.open_loop_delivered(r, 500)


def test_open_loop_argv_corrects_latency():
    argv = oha.argv("http://x/", 10, 2, rate=250.5)
    assert argv[argv.index("-q") + 1] == "250.5" and "--latency-correction" in argv
    assert "--latency-correction" not in oha.argv("http://x/", 10, 2)


def test_open_loop_default_is_explicit(monkeypatch):
    assert tools.DEFAULT_OPEN_LOOP == "oha" and tools.open_loop_tool().name == "oha"
    assert tools.open_loop_tool("k6").name == "k6"
    monkeypatch.setenv("BENCH_OPEN_LOOP_TOOL", "k6")
    assert tools.open_loop_tool().name == "k6"
    with pytest.raises(GeneratorError):
        tools.open_loop_tool("wrk")  # closed loop only
