"""The wrk adapter on summaries wrk.lua wrote in real runs (tests/fixtures/wrk/README.md)."""

import shutil
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from loadtest import tools
from loadtest.records.level import accounting
from loadtest.scenarios import SCENARIOS, Scenario
from loadtest.tools import Load, wrk

from .local_server import run_against

FIXTURES = Path(__file__).parents[1] / "fixtures" / "wrk"
BANNER = ("wrk debian/4.1.0-3+b2 [epoll] Copyright (C) 2012 Will Glozer\n"
          "Usage: wrk <options> <url>\n  Options:\n")


def load(name, expected=200, users=5):
    return wrk.parse((FIXTURES / f"{name}.json").read_bytes(), expected, users)


@pytest.fixture
def on_path(monkeypatch):
    """argv() needs a wrk binary; the tests need none installed."""
    monkeypatch.setattr(wrk, "binary", lambda: "/usr/bin/wrk")


def test_ok_run():
    r = load("ok")
    s = accounting(r, 200)
    assert r.status_codes == {"200": 59843} and r.transport_errors == {}
    assert r.duration_s == pytest.approx(2.100273)
    assert s["rps"] == pytest.approx(59843 / 2.100273)
    assert s["errors"]["total"] == 0 and s["availability"] == 1.0
    assert r.latency_ms == {"p50": 0.128, "p90": 0.258, "p95": 0.821, "p99": 3.539, "max": 7.953,
                            "mean": 0.265}
    # without per-request bodies the aborts at the deadline are not known, only their bound
    assert r.aborted_at_deadline == 0 and any("up to 5" in n for n in r.notes)


def test_5xx_are_errors():
    s = accounting(load("5xx"), 200)
    assert s["requests"] == 26276 and s["ok"] == 0
    assert s["errors"]["status"] == {wrk.STATUS_ERRORS: 26276}
    assert s["error_rate"] == 1.0 and s["availability"] == 0.0


def test_mixed_statuses_split_by_what_wrk_knows():
    # the mock answered 200, then 503 once told to mid-run
    s = accounting(load("mixed"), 200)
    assert s["status_codes"] == {"200": 22241, wrk.STATUS_ERRORS: 33919}
    assert s["availability"] == pytest.approx(22241 / 56160)


def test_a_3xx_counts_as_success_since_wrk_cannot_tell():
    r = load("redirect")
    assert r.status_codes == {"200": 30156}
    assert any("above 399" in n for n in r.notes)


def test_late_responses_are_timeouts_not_successes():
    # --timeout 1s against a 1.5 s delay: wrk counts the 6 late responses as requests and as
    # timeout errors, and leaves them out of its histogram.
    r = load("timeout", users=3)
    s = accounting(r, 200)
    assert r.status_codes == {} and r.transport_errors == {"timeout": 6}
    assert s["requests"] == 0 and s["errors"]["total"] == 6 and s["availability"] == 0.0
    assert all(v is None for v in r.latency_ms.values())


def test_devices_post_counts_201_as_success():
    r = load("devices_post_go_stdlib", expected=201, users=10)
    s = accounting(r, 201)
    assert s["ok"] == s["requests"] == 3914 and s["errors"]["total"] == 0
    # request() counts what it hands out: 6 were in flight at the deadline (the run inserted
    # 3,920 rows = 3,914 + 6), as devices-post's row check needs
    assert r.aborted_at_deadline == 6 and not any("up to" in n for n in r.notes)


def test_no_keepalive_and_a_real_service():
    assert load("nokeepalive").status_codes == {"200": 16645}
    assert accounting(load("users_go_stdlib", users=10), 200)["ok"] == 5162


@pytest.mark.parametrize("raw", [b'{"summary": {}}', b"Running 2s test @ http://x/\n"])
def test_other_output_is_refused(raw):
    with pytest.raises(ValueError):
        wrk.parse(raw, 200)


def test_argv_one_thread_whole_seconds_and_close_header(on_path):
    argv = wrk.argv("http://x/api", 30, 2.4, keepalive=False, json_body=True)
    assert argv[:2] == ["/usr/bin/wrk", "-t1"] and argv[argv.index("-c") + 1] == "30"
    assert argv[argv.index("-d") + 1] == "2s" and argv[argv.index("--timeout") + 1] == "30s"
    assert "--latency" in argv and argv[argv.index("-s") + 1] == str(wrk.SCRIPT)
    assert "Connection: close" in argv and "Content-Type: application/json" in argv
    assert argv[-1] == "http://x/api"
    keepalive = wrk.argv("http://x/", 1, 0.2, timeout_s=0.5)
    assert "Connection: close" not in keepalive and "-H" not in keepalive
    assert keepalive[keepalive.index("-d") + 1] == "1s" and keepalive[keepalive.index("--timeout") + 1] == "1s"


def test_invocation_passes_method_and_bodies_by_environment(on_path, tmp_path):
    load_ = Load(SCENARIOS["devices-post"], 10, 2, firmware_prefix="t-")
    inv = tools.get("wrk").invocation(load_, "http://x", tmp_path / "r.json", tmp_path)
    assert inv.env["WRK_SUMMARY"] == str(tmp_path / "r.json") and inv.env["WRK_METHOD"] == "POST"
    assert Path(inv.env["WRK_BODIES"]).read_text().count("\n") == 10_000
    assert inv.stdout != tmp_path / "r.json"  # wrk's text report must not overwrite the summary
    get = Load(Scenario("s", "GET", "/api/users", 200), 5, 2)
    assert "WRK_BODIES" not in tools.get("wrk").invocation(get, "http://x", tmp_path / "g.json", tmp_path).env


def test_no_open_loop(on_path, tmp_path):
    assert not tools.get("wrk").open_loop
    with pytest.raises(ValueError):
        tools.get("wrk").invocation(Load(SCENARIOS["users"], 5, 2, rate=100), "http://x", tmp_path / "r", tmp_path)


def test_version_from_the_banner_of_wrk_v():
    assert wrk.banner_version(BANNER) == "wrk debian/4.1.0-3+b2 [epoll]"
    assert wrk.banner_version("wrk 4.2.0 [kqueue] Copyright (C) 2012 Will Glozer") == "wrk 4.2.0 [kqueue]"
    assert wrk.banner_version("") is None and wrk.banner_version("Usage: wrk <options>") is None


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is installed by scripts/setup.sh")
def test_the_script_runs_in_real_wrk_and_writes_what_the_parser_reads(tmp_path):
    """One second of real wrk with the harness's script against a local server: the done()
    hook's summary parses into a result with successes and latencies."""
    run = run_against(_Ok, "wrk", Load(Scenario("probe", "GET", "/", 200), users=2, duration_s=1.0), tmp_path)
    assert run.result.status_codes.get("200", 0) > 0 and run.result.transport_errors == {}
    assert run.result.latency_ms["p50"] is not None and run.result.duration_s > 0


def test_littles_law_is_not_checked_on_backfilled_latencies():
    """wrk's mean includes the samples it back-fills for coordinated omission: a Little's-law
    check on it would flag time the requests never took. oha's mean is checked."""
    from .harness_samples import level

    fixture = next(p.stem for p in FIXTURES.glob("*.json"))
    assert level("go_stdlib", "devices-get", 10, f"wrk/{fixture}").littles_law is None
    assert level("go_stdlib", "devices-get", 10, "oha/ok").littles_law is not None
