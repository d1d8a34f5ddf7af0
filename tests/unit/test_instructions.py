"""`loadtest instructions`: reading cachegrind's files, the difference rule, the plan, and one
real count of a tiny program under valgrind (a second or two; skipped where valgrind is absent)."""

import argparse
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest

from loadtest.commands import instructions as command
from loadtest.core.errors import InfraError, UsageError
from loadtest.measurement import instructions
from loadtest.scenarios import SCENARIOS, Scenario

# The head and tail of a real cachegrind.out file: per-line counts, then the one summary line.
# A file name of the service's own ("summary.go") must not be taken for it.
OUTPUT = """\
desc: I1 cache:         32768 B, 64 B, 8-way associative
cmd: /work/main/.bench/bin/go_stdlib
events: Ir
fl=./github.com/prometheus/client_golang@v1.25.0/prometheus/summary.go
fn=github.com/prometheus/client_golang/prometheus.(*summary).Observe
128 2
summary: 188989762
"""


def test_the_summary_line_is_the_total():
    assert instructions.parse_output(OUTPUT) == (188989762, "/work/main/.bench/bin/go_stdlib")


def test_a_file_cut_short_has_no_total():
    with pytest.raises(ValueError, match="no summary"):
        instructions.parse_output(OUTPUT.rsplit("summary:", 1)[0])


def _process(directory: Path, pid: int, total: int | None) -> None:
    (directory / f"valgrind.{pid}.log").write_text(f"==={pid}=== I   refs: {total}\n")
    if total is not None:
        (directory / f"cachegrind.out.{pid}").write_text(OUTPUT.replace("188989762", str(total)))


def test_every_process_of_the_tree_is_counted(tmp_path):
    _process(tmp_path, 11, 900)
    _process(tmp_path, 12, 7000)
    found = instructions.read_totals(tmp_path)
    assert [(p["pid"], p["instructions"]) for p in found] == [(11, 900), (12, 7000)]


def test_a_process_that_left_no_file_fails_the_count(tmp_path):
    _process(tmp_path, 11, 900)
    _process(tmp_path, 12, None)  # killed before it exited: the total would be short
    with pytest.raises(InfraError, match="process 12 left no cachegrind.out.12"):
        instructions.read_totals(tmp_path)
    with pytest.raises(InfraError, match="no valgrind output"):
        instructions.read_totals(tmp_path / "empty")


def test_the_difference_rule_cancels_what_both_counts_share():
    start_up, per = 8_000_000_000, 323_000
    i1, i2 = start_up + 200 * per, start_up + 2200 * per
    assert instructions.per_request(i1, i2, 200, 2200) == per
    assert instructions.relative_difference(100.0, 101.0) == pytest.approx(1 / 100.5)
    assert instructions.relative_difference(0.0, 0.0) == 0.0


def test_figures_pair_the_counts_of_each_repeat():
    runs = [{"repeat": 1, "count": 200, "instructions": 1_000_000},
            {"repeat": 1, "count": 2200, "instructions": 3_000_000},
            {"repeat": 2, "count": 200, "instructions": 1_000_100},
            {"repeat": 2, "count": 2200, "instructions": 3_020_100}]
    f = instructions.figures(runs, (200, 2200))
    assert f["per_request"] == [1000.0, 1010.0] and f["mean"] == 1005.0
    assert f["relative_difference"] == pytest.approx(10 / 1005)
    alone = instructions.figures(runs[:3], (200, 2200))  # the second repeat's N2 failed
    assert alone["per_request"] == [1000.0] and alone["relative_difference"] is None


def test_the_plan_runs_each_count_of_each_repeat_in_order():
    names = list(SCENARIOS)[:2]
    plan = instructions.Plan(["a", "b"], names, (10, 30), repeats=2)
    runs = list(plan.runs())
    assert len(runs) == 2 * 2 * 2 * 2
    assert runs[:4] == [("a", names[0], 1, 10), ("a", names[0], 1, 30), ("a", names[0], 2, 10),
                        ("a", names[0], 2, 30)]
    text = "\n".join(plan.lines())
    assert "(I(30) - I(10)) / 20" in text and "--trace-children=yes" in text and "starts:    16" in text
    for counts, repeats in (((30, 10), 2), ((0, 10), 2), ((10, 30), 0)):
        with pytest.raises(UsageError):
            instructions.Plan(["a"], names, counts, repeats)


class Recorder(BaseHTTPRequestHandler):
    """Answers 503 to the first `unhealthy` health checks, 201 to anything else; records each
    request's path, body and client port (one port: one keep-alive connection)."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, bytes, int]]] = []
    unhealthy = 0

    def do_GET(self):
        self._answer(b"")

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("content-length", 0))))

    def _answer(self, body: bytes) -> None:
        Recorder.seen.append((self.path, body, self.client_address[1]))
        status = 201
        if self.path == "/healthz":
            status = 503 if Recorder.unhealthy > 0 else 200
            Recorder.unhealthy -= 1
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Recorder.seen, Recorder.unhealthy = [], 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_the_sequence_is_fixed_and_sent_on_one_connection(server):
    probe = Scenario("probe", "POST", "/p", 201)
    instructions.send(server, probe, 5, {}, ["a", "b"])
    assert [(path, body) for path, body, _ in Recorder.seen] == [("/p", b"a"), ("/p", b"b"), ("/p", b"a"),
                                                                 ("/p", b"b"), ("/p", b"a")]
    assert len({port for *_, port in Recorder.seen}) == 1
    with pytest.raises(InfraError, match="request 1 of 3 answered 201"):
        instructions.send(server, Scenario("probe", "GET", "/p", 200), 3, {}, [])


def test_readiness_sends_one_health_check_at_a_time_until_one_answers_200(server, monkeypatch):
    monkeypatch.setattr(instructions, "HEALTH_RETRY_S", 0)
    Recorder.unhealthy = 2
    running = SimpleNamespace(base_url=server, manifest=SimpleNamespace(name="probe"), log="log")
    assert instructions.wait_healthy(running, SimpleNamespace(poll=lambda: None)) == 3
    assert [path for path, *_ in Recorder.seen] == ["/healthz"] * 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="loadtest")
    command.register(p.add_subparsers(dest="command", required=True))
    return p


def test_dry_run_prints_the_plan_and_starts_nothing(monkeypatch, capsys):
    monkeypatch.setattr(instructions, "measure", lambda *a, **k: pytest.fail("a dry run measured"))
    args = _parser().parse_args(["instructions", "go_stdlib", "--counts", "20,220", "--dry-run"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "go_stdlib" in out and "(I(220) - I(20)) / 200" in out and "expected:" in out
    assert all(name in out for name in command.DEFAULT_SCENARIOS)


def test_the_command_line_refuses_what_it_cannot_count():
    p = _parser()
    for argv, error in ((["instructions", "go_stdlib", "--counts", "200"], UsageError),
                        (["instructions", "no_such_service", "--dry-run"], ValueError)):
        args = p.parse_args(argv)
        with pytest.raises(error):
            args.func(args)


def test_the_default_scenarios_take_no_parameter_and_wait_on_no_upstream():
    assert command.DEFAULT_SCENARIOS
    assert all(not SCENARIOS[s].params and not SCENARIOS[s].upstream for s in command.DEFAULT_SCENARIOS)


@pytest.mark.skipif(not shutil.which("valgrind"), reason="valgrind is installed by scripts/setup.sh")
@pytest.mark.timeout(120)
def test_a_real_count_under_cachegrind_is_exact_and_follows_children(tmp_path):
    """A shell loop of n steps (and one child, /bin/true): the count of each step is the
    difference rule's figure, and the same program counted twice gives the same total."""
    def count(n: int, folder: str) -> list[dict]:
        out = tmp_path / folder
        out.mkdir()
        loop = f"i=0; while [ $i -lt {n} ]; do i=$((i+1)); done; /bin/true"
        subprocess.run([*instructions.valgrind_argv(out), "/bin/sh", "-c", loop], check=True, timeout=60)
        return instructions.read_totals(out)

    small, large, again = count(100, "a"), count(1100, "b"), count(100, "c")
    assert len(small) == 2  # the shell and its child
    total = [sum(p["instructions"] for p in run) for run in (small, large, again)]
    per_step = instructions.per_request(total[0], total[1], 100, 1100)
    assert 50 < per_step < 50_000
    assert instructions.relative_difference(total[0], total[2]) < 1e-3


def test_a_run_that_needed_more_health_checks_is_set_aside_and_counted_again(tmp_path, monkeypatch):
    plain = next(n for n, s in SCENARIOS.items() if type(s).before_run is Scenario.before_run)
    health = iter([2, 1, 1, 1, 3, 3, 3])  # repeat 2's N2 never starts cleanly: its last count is kept
    monkeypatch.setattr(instructions, "count_once", lambda *a, **k: {
        "count": a[5], "instructions": 1000 * a[5], "health_requests": next(health), "processes": []})
    plan = instructions.Plan(["go_stdlib"], [plain], (10, 30), repeats=2, skip_gate=True)
    doc = instructions.measure(plan, tmp_path, ["loadtest", "instructions"], say=lambda _: None)
    result = doc["services"]["go_stdlib"]["scenarios"][plain]
    assert [(r["repeat"], r["count"], r["health_requests"]) for r in result["runs"]] == [
        (1, 10, 1), (1, 30, 1), (2, 10, 1), (2, 30, 3)]
    assert [(r["repeat"], r["count"]) for r in result["set_aside"]] == [(1, 10), (2, 30), (2, 30)]
    assert result["per_request"] == [1000.0, 1000.0] and (tmp_path / "instructions.md").is_file()
