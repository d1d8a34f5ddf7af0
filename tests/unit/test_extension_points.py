"""A new scenario and a new load tool are one definition each, registered in one place: a
throwaway pair runs through the real sweep loop (plan -> runtime -> gate -> load -> level ->
results -> exporters) against a tiny HTTP server, with a stand-in runtime and no special case."""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from rich.console import Console

from loadtest import scenarios, sweep, tools
from loadtest.core.sampler import summarize_counts
from loadtest.measurement.plan import SweepPlan
from loadtest.records.level import ServiceCpu, ServiceMemory
from loadtest.runtime import isolation
from loadtest.scenarios import LevelContext, Scenario
from loadtest.tools import Invocation, Load, ToolResult

# A load tool in a dozen lines: Python's urllib in a loop, its counts as JSON on stdout.
CLIENT = """
import json, sys, time, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
codes, start = {}, time.monotonic()
for _ in range(n):
    with urllib.request.urlopen(url) as r:
        codes[str(r.status)] = codes.get(str(r.status), 0) + 1
print(json.dumps({"codes": codes, "seconds": time.monotonic() - start}))
"""


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"hello":"world"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class UrllibTool:
    name = "urllib-loop"
    min_duration_s = 0.0
    open_loop = False
    raw_suffix = "json"

    def version(self) -> str:
        return f"python {sys.version.split()[0]}"

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        return Invocation([sys.executable, "-c", CLIENT, load.scenario.url(base_url), str(5 * load.users)],
                          stdout=raw_path)

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        data = json.loads(raw)
        return ToolResult(self.name, data["seconds"], data["codes"], {}, {"p50": None})


class HelloScenario(Scenario):
    """Its hooks record what they saw, to show the sweep calls them in order."""

    def after_level(self, ctx: LevelContext, state: object, counts: dict) -> dict:
        return {"hello_checked": sum(counts["status_codes"].values())}


@dataclass
class StandInHandle:
    base_url: str
    log: str = "-"

    def alive(self) -> bool:
        return True

    def stop(self) -> None:
        pass

    def cpu(self) -> None:
        return None

    def cpu_figures(self, c0, c1, elapsed: float) -> ServiceCpu:
        return ServiceCpu(source="none")

    def reset_memory_peak(self) -> None:
        pass

    def memory(self) -> ServiceMemory:
        return ServiceMemory(current_bytes=None, peak_bytes=None, peak_scope="level")

    def connections(self):
        return _NoConnections()


class _NoConnections:
    def start(self):
        return self

    def finish(self) -> dict:
        return summarize_counts([], ["postgres"])


@dataclass
class StandInRuntime:
    base_url: str
    name: str = "stand-in"
    placement: isolation.Placement = field(default_factory=lambda: isolation.placement([0, 1], "taskset"))
    calls: list[str] = field(default_factory=list)

    def servers(self, services):
        return nullcontext()

    @contextmanager
    def deployed(self, m):
        yield

    def build(self, m) -> None:
        self.calls.append("build")

    def gate(self, m, skip: bool) -> dict:
        self.calls.append("gate")
        return {"status": "passed", "seconds": 0.0, "command": "-", "output_tail": ""}

    def mock_key(self, m) -> str:
        return m.name

    def start(self, m, mock_key: str, port=None, extra_env=None) -> StandInHandle:
        return StandInHandle(self.base_url)

    def server_cpu(self):
        return _NoServers()


class _NoServers:
    def percent(self, seconds: float) -> dict:
        return {}


@pytest.fixture
def hello_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def registered():
    scenario = scenarios.register(HelloScenario("hello", "GET", "/hello", 200, summary="throwaway"))
    tool = tools.register(UrllibTool())
    yield scenario, tool
    del scenarios.SCENARIOS["hello"], tools.TOOLS["urllib-loop"]


def test_a_new_scenario_and_tool_run_through_the_sweep(tmp_path, hello_server, registered):
    plan = SweepPlan(services=["go_stdlib", "django"], scenarios=["hello"], levels=[2], duration_s=1.0,
                     warmup_s=0.0, pause_s=0.0, tool="urllib-loop", rounds=2, seed=3)
    rt = StandInRuntime(hello_server)
    with open(os.devnull, "w") as quiet:
        rf = sweep.run(plan, "ext", tmp_path / "run", ["test"], Console(file=quiet), rt=rt)
    assert rt.calls == ["build", "gate"] * 2  # each built once, then gated, then measured
    doc = rf.document()
    levels = doc.measured()
    assert sorted((lv.service, lv.round) for lv in levels) == [
        ("django", 1), ("django", 2), ("go_stdlib", 1), ("go_stdlib", 2)]  # every cell, every round
    level = levels[0]
    assert (level.scenario, level.tool, level.users, level.ok) == ("hello", "urllib-loop", 2, 10)
    assert level.errors.total == 0 and level.ok_rps > 0
    assert level.check == {"hello_checked": 10}  # the scenario's own check, in the level
    assert doc.run.status == "complete" and doc.environment.tools["urllib-loop"]
    assert "## hello" in (rf.dir / "report.md").read_text()


def test_a_level_with_steal_is_measured_again_at_the_end_of_its_round(tmp_path, hello_server, registered,
                                                                      monkeypatch):
    from loadtest.records.level import Level

    def steal(self):  # the first visit of go_stdlib in round 1 lost 5 % to the hypervisor
        return 5.0 if self.service == "go_stdlib" and self.round == 1 and "go_stdlib-2." not in self.raw else 0.0

    monkeypatch.setattr(Level, "steal_percent", steal)
    plan = SweepPlan(services=["go_stdlib", "django"], scenarios=["hello"], levels=[2], duration_s=1.0,
                     warmup_s=0.0, pause_s=0.0, tool="urllib-loop", rounds=2, seed=3)
    with open(os.devnull, "w") as quiet:
        rf = sweep.run(plan, "steal", tmp_path / "run", ["test"], Console(file=quiet), rt=StandInRuntime(hello_server))
    doc = rf.document()
    every = doc.measured(excluded=True)
    first = [lv for lv in every if lv.service == "go_stdlib" and lv.round == 1]
    assert len(first) == 2 and first[0].excluded and "steal 5.0 %" in first[0].excluded and not first[1].excluded
    assert (rf.dir / first[0].raw).exists() and (rf.dir / first[1].raw).exists() and first[0].raw != first[1].raw
    # the analysis sees one level per cell and round; the decision is recorded in the run
    assert len(doc.measured()) == 4
    [decision] = doc.run.remeasured
    assert (decision.service, decision.round, decision.steal_percent) == ("go_stdlib", 1, 5.0)
    assert decision.again_raw == first[1].raw
