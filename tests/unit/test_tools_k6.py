"""The k6 adapter on captured real summaries of loadtest/k6/scenario.js (tests/fixtures/README.md)."""

import json
import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

from loadtest.records.level import accounting
from loadtest.scenarios import SCENARIOS, Scenario
from loadtest.tools import Load, k6, open_loop_delivered

from .local_server import run_against

FIXTURES = Path(__file__).parents[1] / "fixtures" / "k6"


def raw(name):
    return json.loads((FIXTURES / f"{name}.json").read_bytes())


def load(name):
    return k6.parse((FIXTURES / f"{name}.json").read_bytes())


def test_closed_ok():
    r = load("closed_ok")
    s = accounting(r, 200)
    assert r.status_codes == {"200": 14463} and r.transport_errors == {}
    assert s["rps"] == pytest.approx(14463 / 2.003560837)
    assert s["errors"]["total"] == 0 and s["availability"] == 1.0
    assert r.latency_ms["p50"] == pytest.approx(0.329981)
    assert r.latency_ms["p99"] == pytest.approx(8.01744818)
    assert r.latency_ms["p50"] <= r.latency_ms["p90"] <= r.latency_ms["p95"] <= r.latency_ms["p99"]
    assert r.dropped == 0


def test_devices_post():
    s = accounting(load("devices_post"), 201)
    assert s["ok"] == s["requests"] == 619 and s["error_rate"] == 0.0


def test_5xx_counted_by_status():
    r = load("5xx")
    s = accounting(r, 200)
    assert s["ok"] == 0 and s["errors"]["status"] == {"502": 1233} and s["error_rate"] == 1.0
    # latency is over the scenario's success status (k6's expected_response:true): none here
    assert set(r.latency_ms.values()) == {None}


def test_timeouts_and_refused_are_transport_errors():
    t = accounting(load("timeout"), 200)
    assert t["errors"]["transport"] == {"1050 request timeout": 50} and t["requests"] == 0
    r = accounting(load("refused"), 200)
    assert r["errors"]["transport"] == {"1212 TCP connection refused": 7405}
    assert r["rps"] == 0 and r["availability"] == 0.0


def test_open_loop_dropped_iterations():
    r = load("open_dropped")
    s = accounting(r, 200)
    assert r.dropped == 81 and s["requests"] == 20
    assert r.latency_ms["p50"] == pytest.approx(302.4064415)
    # the run lasted 1.27 s (requests in flight finished); the harness passes the 1 s window
    assert r.duration_s == pytest.approx(1.272110437)
    w = k6.parse((FIXTURES / "open_dropped.json").read_bytes(), window_s=1.0)
    assert accounting(w, 200)["rps"] == pytest.approx(20.0)


def test_open_ok():
    r = load("open_ok")
    assert r.status_codes == {"200": 400} and r.dropped == 1


def test_counts_are_exact_for_unlisted_statuses_and_errors():
    """A status or error code the script does not list is still counted, as "other"."""
    data = raw("closed_ok")
    m = data["metrics"]
    m["http_reqs"]["values"]["count"] += 7  # 5 responses with an unlisted status, 2 without response
    # (run with --no-thresholds, k6 leaves the submetrics that counted nothing out of the data)
    m["http_reqs{status:0}"] = {"type": "counter", "contains": "default", "values": {"count": 2}}
    m["http_reqs{error_code:1050}"] = {"type": "counter", "contains": "default", "values": {"count": 1}}
    r = k6.parse(json.dumps(data))
    assert r.status_codes == {"200": 14463, "other": 5}
    assert r.transport_errors == {"1050 request timeout": 1, "other transport error": 1}
    s = accounting(r, 200)
    assert s["errors"]["total"] == 7 and s["requests"] == 14468


def test_summary_without_the_status_submetrics_is_refused():
    data = raw("closed_ok")
    data["metrics"] = {k: v for k, v in data["metrics"].items() if "{status:" not in k}
    with pytest.raises(ValueError, match="SUMMARY_PATH"):
        k6.parse(json.dumps(data))


def test_script_counts_the_codes_the_adapter_names():
    """The transport error codes the script makes k6 count are exactly the ones named here."""
    script = k6.SCRIPT.read_text()
    listed = re.search(r"const TRANSPORT_ERRORS = \[([^\]]*)\]", script).group(1)
    assert {c.strip() for c in listed.split(",")} == set(k6.ERROR_NAMES)
    statuses = re.search(r"const STATUSES = \[([^\]]*)\]", script).group(1)
    assert {"0", "200", "201", "502", "503", "504"} <= {s.strip() for s in statuses.split(",")}


def test_script_is_cheap_and_has_thresholds():
    """No custom metrics (k6's built-ins carry status and error_code as tags), success by
    responseCallback, thresholds a standalone run fails on, disabled for the harness."""
    script = k6.SCRIPT.read_text()
    assert "k6/metrics" not in script
    assert "responseCallback: http.expectedStatuses(" in script
    assert "http_req_failed: [" in script and "p(99)<" in script
    assert "--no-thresholds" in k6.argv()


def test_env_carries_scenario_parameters(tmp_path):
    e = k6.env("http://x", "fib", 20, 10, tmp_path / "s.json", keepalive=False, rate=120.4,
               max_vus=80)
    assert e["MODE"] == "open" and e["RATE"] == "120" and e["MAX_VUS"] == "80"
    assert e["NO_KEEPALIVE"] == "1" and e["DURATION"] == "10s"
    assert e["SUMMARY_PATH"] == str(tmp_path / "s.json")
    assert k6.env("http://x", "fib", 20, 10, tmp_path / "s.json")["MODE"] == "closed"


def test_open_loop_arrivals_and_the_validity_rule():
    r = k6.K6.parse((FIXTURES / "open_ok.json").read_bytes(), Load(SCENARIOS["devices-get"], 5, 2, rate=200))
    assert r.arrivals == 400 and r.sent == 400 and r.duration_s == 2
    # k6 held the rate but dropped one iteration (no free VU at the start): not a clean open loop
    assert r.dropped == 1 and not open_loop_delivered(r, 200)


class _Echo(BaseHTTPRequestHandler):
    """Answers 201 and remembers the bodies it got."""

    protocol_version = "HTTP/1.1"
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self):
        _Echo.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_the_script_sends_any_scenario_as_defined(tmp_path):
    """One second of real k6: a scenario the script has never heard of, its bodies from a file."""
    bodies = tmp_path / "bodies.txt"
    bodies.write_text('{"n":1}\n{"n":2}\n')

    class Posting(Scenario):
        def body_file(self, workdir, firmware_prefix):
            return bodies

    load = Load(Posting("throwaway", "POST", "/anything?x=1", 201), users=2, duration_s=1.0)
    run = run_against(_Echo, "k6", load, tmp_path)
    assert run.result.status_codes.get("201", 0) > 0 and not run.result.transport_errors
    assert set(_Echo.bodies) == {b'{"n":1}', b'{"n":2}'}
