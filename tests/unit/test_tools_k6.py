"""The k6 adapter on captured real summaries of loadtest/k6/scenario.js."""

from pathlib import Path

import pytest

from loadtest.level import accounting
from loadtest.tools import k6

FIXTURES = Path(__file__).parents[1] / "fixtures" / "k6"


def load(name):
    return k6.parse((FIXTURES / f"{name}.json").read_bytes())


def test_closed_ok():
    r = load("closed_ok")
    s = accounting(r, 200)
    assert r.status_codes == {"200": 9322}
    assert s["rps"] == pytest.approx(9322 / 1.006442518)
    assert s["errors"]["total"] == 0 and s["availability"] == 1.0
    assert r.latency_ms["p50"] == pytest.approx(0.235398)
    assert r.latency_ms["p90"] is not None and r.latency_ms["p99"] == pytest.approx(6.513107249999991)


def test_devices_post():
    s = accounting(load("devices_post"), 201)
    assert s["ok"] == s["requests"] == 863


def test_5xx_counted_from_status_counters():
    s = accounting(load("5xx"), 200)
    assert s["ok"] == 0 and s["errors"]["status"] == {"502": 3249} and s["error_rate"] == 1.0


def test_timeouts_and_refused_are_transport_errors():
    t = accounting(load("timeout"), 200)
    assert t["errors"]["transport"] == {"1050 request timeout": 45} and t["requests"] == 0
    r = accounting(load("refused"), 200)
    assert r["errors"]["transport"] == {"1212 TCP dial error": 6350}
    assert r["rps"] == 0 and r["availability"] == 0.0


def test_open_loop_dropped_iterations():
    r = load("open_dropped")
    s = accounting(r, 200)
    assert r.dropped == 181 and s["requests"] == 15
    # achieved rate is ours: 15 responses in the 1 s window, not k6's per-test rate
    assert s["rps"] == pytest.approx(15 / 1.001766605)
    assert r.latency_ms["p50"] == pytest.approx(301.395943)


def test_env_carries_scenario_parameters(tmp_path):
    e = k6.env("http://x", "fib", 20, 10, tmp_path / "s.json", fib_n=30, keepalive=False, rate=120.4,
               max_vus=80)
    assert e["MODE"] == "open" and e["RATE"] == "120" and e["MAX_VUS"] == "80"
    assert e["FIB_N"] == "30" and e["NO_KEEPALIVE"] == "1" and e["DURATION"] == "10s"
    assert k6.env("http://x", "fib", 20, 10, tmp_path / "s.json")["MODE"] == "closed"
