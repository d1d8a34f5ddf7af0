"""Instructions per request: a service run under valgrind's cachegrind, which counts every
instruction its processes execute in user space, whatever else the machine is doing.

One count is one life of the service: built, gated and started by a Bench like any measured
service, but under `valgrind --tool=cachegrind --trace-children=yes` (every process of its tree,
one output file per pid), sent a fixed sequence of N requests of one scenario on one keep-alive
connection, then stopped; the total is the sum of the `summary:` lines of its files. Two counts
differ only in N, so start-up, the first requests (pools filled, code paths warm) and shutdown
are in both and cancel:

    instructions per request = (I(N2) - I(N1)) / (N2 - N1)

The pair is counted twice (`repeats`), and the relative difference of the two figures says how
well the figure repeats. It is NOT time (memory stalls, I/O waits and locks cost no
instructions), NOT the kernel's work (user space only: system calls, the network stack and the
scheduler are not counted), NOT a fair comparison across languages or runtimes (an instruction of
an interpreter and of compiled code do different amounts of work), and threads run serialised
under valgrind, so anything that depends on timing (polling, timers, contention) runs as it
would on one slow core. A service under cachegrind runs 30 to 50 times slower: for counting,
never for timing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..core.config import run_dir, service_env
from ..core.errors import InfraError, UsageError
from ..core.version import version_string
from ..records.results import git, service_version
from ..runtime import service
from ..runtime.native import NativeRuntime
from ..scenarios import SCENARIOS, Scenario
from ..servers import machine, manifest, procs
from ..servers.manifest import Manifest
from . import layers
from .bench import Bench

TOOL = "cachegrind"
LAYER_TOOL = "callgrind"  # --by-layer: the same count, with each function's share (layers.py)
COUNTS = (200, 2200)  # N1, N2: the first 200 requests warm the service up and cancel
REPEATS = 2
STARTUP_LIMIT_S = 900.0  # a Python service imports its stack 30-50x slower under valgrind
STOP_LIMIT_S = 300.0  # SIGTERM, then valgrind writes every process's file; SIGKILL would lose them
REQUEST_TIMEOUT_S = 120.0
HEALTH_RETRY_S = 2.0  # between health checks that answered but not 200
# A run that needed more than one health check started differently (a failed check can cost a
# reconnection of the service's pools: tens of millions of instructions): it is set aside and
# counted again, at most this many times; the last one is kept whatever it needed.
RECOUNTS = 2
START_ESTIMATE_S = 60.0  # one start and stop under cachegrind (plans only)
REQUEST_ESTIMATE_S = 0.01  # one request under cachegrind (plans only)
ENV = {"PYTHONHASHSEED": "0"}  # the same hashes, so the same dict layouts, in every run
NOT = ("not time: memory stalls, I/O waits and locks cost no instructions",
       "not the kernel's work: user space only (system calls, network stack, scheduler uncounted)",
       "not a fair comparison across languages or runtimes: their instructions do different work",
       ("threads serialised: valgrind runs one thread at a time, so timing-dependent work "
        "(polling, timers, contention) runs as on one slow core"))


# --- the plan -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    services: list[str]
    scenarios: list[str]
    counts: tuple[int, int] = COUNTS
    repeats: int = REPEATS
    params: dict[str, int] = field(default_factory=dict)  # the scenarios' parameters
    skip_gate: bool = False
    by_layer: bool = False  # callgrind instead of cachegrind, each run's instructions split by layer

    @property
    def tool(self) -> str:
        return LAYER_TOOL if self.by_layer else TOOL

    def __post_init__(self) -> None:
        n1, n2 = self.counts
        if not 0 < n1 < n2:
            raise UsageError(f"--counts {n1},{n2}: two request counts, 0 < N1 < N2")
        if self.repeats < 1:
            raise UsageError(f"--repeats {self.repeats}: at least 1 (2 to see how it repeats)")

    def runs(self) -> Iterator[tuple[str, str, int, int]]:
        """(service, scenario, repeat, count) in the order they run: one service start each."""
        for name in self.services:
            for scenario in self.scenarios:
                for repeat in range(1, self.repeats + 1):
                    for count in self.counts:
                        yield name, scenario, repeat, count

    def expected_seconds(self) -> float:
        starts = len(self.services) * len(self.scenarios) * self.repeats * len(self.counts)
        requests = len(self.services) * len(self.scenarios) * self.repeats * sum(self.counts)
        return starts * START_ESTIMATE_S + requests * REQUEST_ESTIMATE_S

    def lines(self) -> list[str]:
        n1, n2 = self.counts
        starts = sum(1 for _ in self.runs())
        return [f"services:  {', '.join(self.services)}",
                f"scenarios: {', '.join(SCENARIOS[s].describe(self.params) for s in self.scenarios)}",
                (f"counts:    {n1} and {n2} requests on 1 keep-alive connection, each pair "
                 f"{self.repeats}x: instructions per request = (I({n2}) - I({n1})) / {n2 - n1}"),
                f"tool:      {' '.join(valgrind_argv(Path('OUT'), self.tool))} <the service's argv>"
                + ("; each run split by layer (measurement/layers.toml)" if self.by_layer else ""),
                f"gate:      {'skipped (development only)' if self.skip_gate else 'the contract suite, once per service'}",
                f"starts:    {starts}, one per count, in the order service, scenario, repeat, count",
                f"expected:  about {self.expected_seconds() / 60:.0f} min (start-up under valgrind dominates)"]


# --- cachegrind ---------------------------------------------------------------------------------
def valgrind_argv(out_dir: Path, tool: str = TOOL) -> list[str]:
    """The prefix that runs a service under cachegrind (or callgrind, which also attributes each
    instruction to its function); it execs the service in the same pid."""
    options = (["--cache-sim=no", "--branch-sim=no"] if tool == TOOL
               else ["--dump-instr=no", "--collect-jumps=no", "--separate-threads=no"])
    return ["valgrind", f"--tool={tool}", *options, "--trace-children=yes",
            f"--{tool}-out-file={out_dir}/{tool}.out.%p", f"--log-file={out_dir}/valgrind.%p.log"]


def valgrind_version() -> str:
    try:
        r = subprocess.run(["valgrind", "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InfraError(f"valgrind not found ({e}): `apt-get install valgrind` (scripts/setup.sh)") from e
    return r.stdout.strip()


SUMMARY = re.compile(r"^summary:\s+(\d+)", re.MULTILINE)
COMMAND = re.compile(r"^cmd:\s*(.*)$", re.MULTILINE)


def parse_output(text: str) -> tuple[int, str]:
    """(instructions, command line) of one cachegrind.out file: its `summary:` line is the
    total of its one event, Ir (instructions executed)."""
    found = SUMMARY.search(text)
    if found is None:
        raise ValueError("no summary: line (cut short: the process was killed before it exited?)")
    cmd = COMMAND.search(text)
    return int(found.group(1)), cmd.group(1).strip() if cmd else ""


def read_totals(out_dir: Path, tool: str = TOOL) -> list[dict]:
    """Every process of the tree: its pid, command and instructions. Valgrind writes a log per
    process it runs and the output file when the process exits: a log without its file is a
    process killed before it could write it, and the count would be short."""
    processes = []
    for log in sorted(out_dir.glob("valgrind.*.log")):
        pid = log.name.split(".")[1]
        out = out_dir / f"{tool}.out.{pid}"
        if not out.exists():
            raise InfraError(f"process {pid} left no {out.name} (killed before it exited?); see {log}")
        try:
            instructions, cmd = parse_output(out.read_text(errors="replace"))
        except ValueError as e:
            raise InfraError(f"{out}: {e}") from e
        processes.append({"pid": int(pid), "command": cmd, "instructions": instructions, "file": out.name})
    if not processes:
        raise InfraError(f"no valgrind output in {out_dir}: was the service started under valgrind?")
    return processes


def per_request(i1: int, i2: int, n1: int, n2: int) -> float:
    """The difference rule: what N2 - N1 more requests cost, per request."""
    return (i2 - i1) / (n2 - n1)


def relative_difference(a: float, b: float) -> float:
    """|a - b| over their mean: how far two runs of the same figure differ."""
    mean = (a + b) / 2
    return abs(a - b) / mean if mean else 0.0


# --- the runtime: the native one, but under valgrind and without a CPU quota -----------------------
class CachegrindRuntime(NativeRuntime):
    """Starts each service under cachegrind, writing into `out_dir` (set before each start). No
    cgroup box: a CPU quota would only slow a count down, it cannot change it. Builds once."""

    name = "cachegrind"

    def __init__(self, tool: str = TOOL) -> None:
        super().__init__()
        self.tool = tool
        self.out_dir: Path | None = None
        self._built: set[str] = set()

    def build(self, m: Manifest) -> None:
        if m.name not in self._built:
            super().build(m)
            self._built.add(m.name)

    def start(self, m: Manifest, mock_key: str, port: int | None = None,
              extra_env: dict[str, str] | None = None) -> CountedHandle:
        if self.out_dir is None:
            raise InfraError(f"{self.tool} runtime: no output folder set before the start")
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return start_counted(m, mock_key, self.out_dir, port, extra_env, tool=self.tool)


def start_counted(m: Manifest, mock_key: str, out_dir: Path, port: int | None = None,
                  extra_env: dict[str, str] | None = None, host: str = "127.0.0.1",
                  tool: str = TOOL) -> CountedHandle:
    """service.start under valgrind, with a readiness check that sends the same requests in
    every run: service.start polls /healthz every 0.2 s with a 2 s timeout, and a server that
    listens long before it answers (granian binds in its main process, then its worker imports
    the app for a minute under valgrind) would later answer every poll left in its backlog, a
    number that varies from run to run. Here: wait until the port accepts a connection, then
    GET /healthz one request at a time, each allowed as long as start-up may take, until one
    answers 200 (a health check whose own probes time out under valgrind answers 503: a few
    more requests, recorded as the run's `health_requests`)."""
    port = port or procs.free_port(host)
    env = {**os.environ, **service_env(m.name, port, mock_key), "HOST": host, **m.env, **ENV, **(extra_env or {})}
    run_dir().mkdir(parents=True, exist_ok=True)
    log = run_dir() / f"{m.name}-{port}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*valgrind_argv(out_dir, tool), *m.run_argv(host, port)], cwd=m.cwd, env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    running = service.Running(m, proc.pid, f"http://{host}:{port}", log, env)
    try:
        procs.wait_until(lambda: procs.port_open(host, port), STARTUP_LIMIT_S, f"{m.name} under {tool}",
                         interval=0.5, pid=proc.pid, logs=(log,))
        health_requests = wait_healthy(running, proc, tool)
    except httpx.HTTPError as e:
        running.stop(timeout=STOP_LIMIT_S)
        raise InfraError(f"{m.name} under {tool}: /healthz failed ({type(e).__name__}); log {log}") from e
    except BaseException:
        running.stop(timeout=STOP_LIMIT_S)
        raise
    return CountedHandle(running, health_requests)


def wait_healthy(running: service.Running, proc: subprocess.Popen, tool: str = TOOL) -> int:
    """GET /healthz, never two at once, until it answers 200; how many were sent."""
    deadline, sent = time.monotonic() + STARTUP_LIMIT_S, 0
    while True:
        sent += 1
        r = httpx.get(f"{running.base_url}/healthz", timeout=STARTUP_LIMIT_S)
        if r.status_code == 200:
            return sent
        if proc.poll() is not None or time.monotonic() > deadline:
            raise InfraError(f"{running.manifest.name} under {tool}: /healthz answered {r.status_code} "
                             f"{r.text[:200]}; log {running.log}")
        time.sleep(HEALTH_RETRY_S)


class CountedHandle:
    """A service running under valgrind: only started, sent requests and stopped (a Bench
    visit's CPU and memory probes have nothing to measure here)."""

    def __init__(self, running: service.Running, health_requests: int):
        self.running, self.health_requests = running, health_requests
        self.base_url, self.log = running.base_url, str(running.log)

    def alive(self) -> bool:
        return self.running.alive()

    def stop(self) -> None:
        self.running.stop(timeout=STOP_LIMIT_S)


# --- the requests -------------------------------------------------------------------------------
def bodies(scenario: Scenario, workdir: Path, firmware_prefix: str) -> list[str]:
    """The bodies sent in turn: the scenario's file of distinct bodies, read in order (the same
    sequence in every run), or its one literal body, or none."""
    path = scenario.body_file(workdir, firmware_prefix)
    if path is not None:
        return path.read_text().splitlines()
    return [scenario.body] if scenario.body else []


def send(base_url: str, scenario: Scenario, count: int, params: dict[str, int], body_lines: list[str]) -> None:
    """`count` requests one after the other on one keep-alive connection; every answer must
    have the scenario's success status, or the count would not be of the request it names."""
    headers = {"content-type": "application/json"} if body_lines else {}
    url = scenario.url(base_url, params)
    with httpx.Client(timeout=REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=1)) as client:
        for i in range(count):
            content = body_lines[i % len(body_lines)] if body_lines else None
            r = client.request(scenario.method, url, content=content, headers=headers)
            if r.status_code != scenario.expected_status:
                raise InfraError(f"{scenario.name}: request {i + 1} of {count} answered {r.status_code} "
                                 f"(expected {scenario.expected_status}): {r.text[:200]}")


# --- the measurement ----------------------------------------------------------------------------
def measure(plan: Plan, out_dir: Path, command: list[str], say: Callable[[str], None] = print) -> dict:
    """Every run of the plan, into instructions.json and instructions.md in `out_dir`, rewritten
    after every run (docs/instructions.md describes both)."""
    out_dir = out_dir.resolve()  # the services run in their own folders
    doc = document(plan, command)
    runtime, gated = CachegrindRuntime(plan.tool), {}
    manifests = {name: manifest.load(name) for name in plan.services}  # one version of each for every run
    record = _recorder(doc)
    with Bench(runtime, out_dir, skip_gate=plan.skip_gate, params=plan.params, record=record) as first:
        doc["run"] |= first.before_run(plan.scenarios)
        prefix = first.firmware_prefix
    for name, scenario, repeat, count in plan.runs():
        entry = doc["services"][name]
        if entry["status"] != "measured":
            continue
        result = entry["scenarios"].setdefault(scenario, {"describe": SCENARIOS[scenario].describe(plan.params),
                                                          "runs": [], "set_aside": []})
        for attempt in range(RECOUNTS + 1):
            raw = out_dir / "raw" / name / scenario / f"repeat{repeat}-n{count}{f'-again{attempt}' if attempt else ''}"
            say(f"{name} {scenario}: repeat {repeat}, {count} requests under {plan.tool}" + (" again" if attempt else ""))
            run = count_once(runtime, gated, plan, manifests[name], scenario, count, out_dir, raw, prefix, record)
            if run is None:
                break
            run = {"repeat": repeat, **run}
            if run["health_requests"] == 1 or attempt == RECOUNTS:
                result["runs"].append(run)
                break
            result["set_aside"].append(run)  # its start-up was not the others': counted again
            save(doc, plan.counts, out_dir)
        save(doc, plan.counts, out_dir)
    doc["run"]["finished"] = _now()
    save(doc, plan.counts, out_dir)
    return doc


def save(doc: dict, counts: tuple[int, int], out_dir: Path) -> None:
    for entry in doc["services"].values():
        for result in entry["scenarios"].values():
            result |= figures(result["runs"], counts)
    (out_dir / "instructions.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out_dir / "instructions.md").write_text(markdown(doc))


def count_once(runtime: CachegrindRuntime, gated: dict, plan: Plan, m: Manifest, scenario: str, count: int,
               out_dir: Path, raw: Path, prefix: str, record: Callable[..., None]) -> dict | None:
    """One life of the service under cachegrind with `count` requests, its valgrind files in
    `raw`; None when it failed (recorded, and the service is measured no further)."""
    runtime.out_dir, name = raw, m.name
    started = time.monotonic()
    with Bench(runtime, out_dir, skip_gate=plan.skip_gate, params=plan.params, firmware_prefix=prefix,
               gated=gated, record=record) as bench:
        if not bench.prepare(m, [scenario]):
            return None
        s, handle = SCENARIOS[scenario], bench.handles[name]
        try:
            send(handle.base_url, s, count, plan.params, bodies(s, out_dir, prefix))
        except (InfraError, httpx.HTTPError) as e:
            bench.fail(name, f"{scenario}: {e}")
            return None
    try:
        processes = read_totals(raw, plan.tool)
        split = layers.by_layer(raw / p["file"] for p in processes) if plan.by_layer else None
    except InfraError as e:
        record(name, status="failed", error=str(e))
        return None
    return {"count": count, "instructions": sum(p["instructions"] for p in processes),
            **({"layers": split} if split is not None else {}),
            "health_requests": handle.health_requests,
            "processes": processes, "wall_s": round(time.monotonic() - started, 1)}


def figures(runs: list[dict], counts: tuple[int, int]) -> dict:
    """Instructions per request of each repeat that has both counts, and how far they differ."""
    n1, n2 = counts
    per = [per_request(a, b, n1, n2) for a, b in _pairs(runs, counts, "instructions")]
    return {"per_request": [round(x, 1) for x in per],
            "mean": round(sum(per) / len(per), 1) if per else None,
            "relative_difference": relative_difference(per[0], per[1]) if len(per) >= 2 else None,
            **({"layers": layer_figures(runs, counts)} if any("layers" in r for r in runs) else {})}


def layer_figures(runs: list[dict], counts: tuple[int, int]) -> dict[str, float]:
    """{layer: instructions per request}, the difference rule applied to each layer and averaged
    over the repeats that have both counts; the layers add up to the whole figure."""
    n1, n2 = counts
    pairs = _pairs(runs, counts, "layers")
    names = list(dict.fromkeys(name for a, b in pairs for name in [*a, *b]))
    return {name: round(sum(per_request(a.get(name, 0), b.get(name, 0), n1, n2) for a, b in pairs) / len(pairs), 1)
            for name in names} if pairs else {}


def _pairs(runs: list[dict], counts: tuple[int, int], key: str) -> list[tuple]:
    """(run[key] at N1, run[key] at N2) of each repeat that has both counts, in repeat order."""
    n1, n2 = counts
    by_repeat: dict[int, dict[int, object]] = {}
    for run in runs:
        if key in run:
            by_repeat.setdefault(run["repeat"], {})[run["count"]] = run[key]
    return [(c[n1], c[n2]) for _, c in sorted(by_repeat.items()) if n1 in c and n2 in c]


def document(plan: Plan, command: list[str]) -> dict:
    return {"kind": "instructions", "schema_version": 1,
            "what_it_is_not": list(NOT),
            "tool": {"name": plan.tool, "version": valgrind_version(), "argv": valgrind_argv(Path("<raw dir>"), plan.tool),
                     "env": ENV},
            "client": "httpx, 1 keep-alive connection, requests one after the other",
            "rule": "instructions per request = (I(N2) - I(N1)) / (N2 - N1), I summed over the process tree",
            "counts": list(plan.counts), "repeats": plan.repeats, "params": plan.params,
            "harness": version_string(), "git_commit": git("rev-parse", "HEAD"), "cpu": machine.cpu(),
            "run": {"command": command, "started": _now(), "skip_gate": plan.skip_gate},
            "services": {name: {"status": "measured", "version": service_version(name), "scenarios": {}}
                         for name in plan.services}}


def _recorder(doc: dict) -> Callable[..., None]:
    def record(service_name: str, **fields) -> None:
        doc["services"][service_name].update(fields)
    return record


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def markdown(doc: dict) -> str:
    """A short table: each figure, its two runs and how far they differ."""
    n1, n2 = doc["counts"]
    lines = [(f"Instructions per request ({doc['tool']['version']}, {doc['tool']['name']}, "
              f"user space, whole process tree): (I({n2}) - I({n1})) / {n2 - n1}, each pair counted "
              f"{doc['repeats']}x."), "",
             "| service | scenario | instructions/request | runs | run-to-run difference |",
             "|---|---|---:|---|---:|"]
    for name, entry in doc["services"].items():
        if entry["status"] != "measured":
            lines.append(f"| {name} | – | {entry['status']} | {entry.get('error', '')[:80]} | – |")
            continue
        for result in entry["scenarios"].values():
            runs = " / ".join(f"{x:,.0f}" for x in result["per_request"])
            mean = "–" if result["mean"] is None else f"{result['mean']:,.0f}"
            diff = "–" if result["relative_difference"] is None else f"{100 * result['relative_difference']:.2f} %"
            lines.append(f"| {name} | {result['describe']} | {mean} | {runs} | {diff} |")
    lines += _layer_tables(doc)
    lines += ["", "What it is not: " + "; ".join(doc["what_it_is_not"]) + "."]
    return "\n".join(lines) + "\n"


def _layer_tables(doc: dict) -> list[str]:
    """--by-layer: per service and scenario, its instructions per request by layer, largest
    first, with their share of the whole (layers with none left out)."""
    lines = []
    for name, entry in doc["services"].items():
        for result in entry.get("scenarios", {}).values():
            split = result.get("layers")
            if not split or not result.get("mean"):
                continue
            title = f"{name}, {result['describe']}: instructions per request by layer (measurement/layers.toml)"
            lines += ["", title, "",
                      "| layer | instructions/request | share |", "|---|---:|---:|"]
            for layer, value in sorted(split.items(), key=lambda kv: -kv[1]):
                if abs(value) >= 0.5:
                    lines.append(f"| {layer} | {value:,.0f} | {100 * value / result['mean']:.1f} % |")
    return lines
