"""oha adapter. Its JSON output has two traps: summary.successRate and requestsPerSec count
every received response as a success, 5xx included, and requestsPerSec also counts connection
errors. We use only its status-code and error distributions, its window and its percentiles.

Open loop (`-q RATE --latency-correction`): a ticker sends one arrival every 1/RATE s into an
unbounded queue until the deadline, and the -c connections take them from it; latency is
measured from the arrival, so the time an arrival waits for a free connection counts. oha
neither counts the arrivals left in the queue at the deadline (never sent) nor the ticks its
own thread was too late for: `dropped` is what is missing, floor(RATE x window) - sent, where
sent = responses + transport errors + aborted at the deadline."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

from .base import Invocation, Load, ToolResult, version_line

VERSION = "1.16.0"
DEADLINE = "aborted due to deadline"


def binary() -> str:
    found = shutil.which("oha") or str(Path.home() / ".cargo" / "bin" / "oha")
    if not os.access(found, os.X_OK):
        raise FileNotFoundError(f"oha not found: `cargo install oha --locked --version {VERSION}`")
    return found


def argv(url: str, users: int, duration_s: float, method: str = "GET", body: str = "",
         body_lines: Path | None = None, keepalive: bool = True, rate: float | None = None,
         output: str = "json", finish_in_flight: bool = True, timeout_s: float = 30) -> list[str]:
    """finish_in_flight (-w): requests in flight at the deadline finish and are counted
    (summary.total then covers them); aborting them would drop exactly the slowest ones from
    the percentiles. output "csv" writes one line per answered request. rate: the open loop,
    latency measured from each arrival's intended send time (--latency-correction)."""
    cmd = [binary(), "--no-tui", "--output-format", output, "--worker-threads", "1",
           "-z", f"{duration_s:g}s", "-t", f"{timeout_s:g}s", "-c", str(users), "-m", method]
    if finish_in_flight:
        cmd.append("-w")
    if body_lines is not None:
        cmd += ["-T", "application/json", "-Z", str(body_lines)]
    elif body:
        cmd += ["-T", "application/json", "-d", body]
    if not keepalive:
        cmd.append("--disable-keepalive")
    if rate:
        cmd += ["-q", f"{rate:g}", "--latency-correction"]
    return [*cmd, url]


def parse(raw: str | bytes) -> ToolResult:
    data = json.loads(raw)
    summary = data["summary"]
    errors = dict(data.get("errorDistribution") or {})
    aborted = errors.pop(DEADLINE, 0)
    pct = data.get("latencyPercentiles") or {}

    def ms(v):
        return None if v is None else v * 1000.0

    latency = {"p50": ms(pct.get("p50")), "p90": ms(pct.get("p90")), "p95": ms(pct.get("p95")),
               "p99": ms(pct.get("p99")), "max": ms(summary.get("slowest")),
               "mean": ms(summary.get("average"))}
    return ToolResult(
        tool="oha",
        duration_s=float(summary["total"]),
        status_codes={str(k): int(v) for k, v in (data.get("statusCodeDistribution") or {}).items()},
        transport_errors={k: int(v) for k, v in errors.items()},
        latency_ms=latency,
        aborted_at_deadline=int(aborted),
    )


def parse_csv_ends(raw: str | bytes) -> list[tuple[float, str]]:
    """`--output-format csv`: one line per answered request. Returns (end time in seconds from
    the run's start, status) per request: what a per-second throughput series needs. Requests
    that failed without an HTTP answer are not in the file."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    lines = text.splitlines()
    if not lines or not lines[0].startswith("request-start,"):
        raise ValueError(f"not oha CSV output: {text[:200]!r}")
    header = lines[0].split(",")
    start, duration, status = (header.index(k) for k in ("request-start", "request-duration", "status"))
    out = []
    for line in lines[1:]:
        if line:
            f = line.split(",")
            out.append((float(f[start]) + float(f[duration]), f[status]))
    return out


def open_loop(result: ToolResult, rate: float, window_s: float) -> ToolResult:
    """The open loop's figures: rates over the arrival window (summary.total also covers the
    requests finished after it, -w), the arrivals due in it and those never sent."""
    due = math.floor(rate * window_s)  # ticks at 0, 1/rate, ...; the one at the deadline may miss it
    result.duration_s = window_s
    result.arrivals = due
    result.dropped = max(due - result.sent, 0)
    if result.dropped:
        result.notes.append(f"oha sent {result.sent:,} of the {due:,} arrivals due at {rate:g}/s "
                            f"in {window_s:g} s: {result.dropped:,} never sent (generator-bound)")
    return result


class OhaTool:
    """oha, the closed-loop default and the open-loop default (-q --latency-correction): one
    tokio thread pinned to the generator's core."""

    name = "oha"
    min_duration_s = 0.0
    open_loop = True
    raw_suffix = "json"  # of its raw output file

    def version(self) -> str | None:
        return version_line(binary, "--version")

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        s = load.scenario
        lines = s.body_file(workdir, load.firmware_prefix)
        cmd = argv(s.url(base_url, load.params), load.users, load.duration_s, s.method, body=s.body,
                   body_lines=lines, keepalive=load.keepalive, rate=load.rate)
        return Invocation(cmd, stdout=raw_path)

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        result = parse(raw)
        return open_loop(result, load.rate, load.duration_s) if load.rate else result

    # A bare window (tools.Windowed), for the fault runs' overload.
    def window_argv(self, url: str, users: int, duration_s: float, per_request: bool,
                    timeout_s: float) -> list[str]:
        return argv(url, users, duration_s, output="csv" if per_request else "json",
                    finish_in_flight=False, timeout_s=timeout_s)

    def parse_ends(self, raw: bytes) -> list[tuple[float, str]]:
        return parse_csv_ends(raw)


OHA = OhaTool()
