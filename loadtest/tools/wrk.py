"""wrk adapter (Debian's `wrk` 4.1, the generator TechEmpower uses): a closed loop of -c
connections on one thread (-t1), driven by loadtest/tools/wrk.lua, whose done() hook writes a
JSON summary to WRK_SUMMARY.

What wrk counts, from its source (src/wrk.c), and how it maps onto ToolResult:
- `requests` are completed responses, any status. wrk knows statuses only as "status > 399"
  (errors.status, printed as "Non-2xx or 3xx responses"): the other responses are recorded
  under the scenario's expected status, those under STATUS_ERRORS, so level.accounting counts
  them as errors. A 2xx or 3xx other than the expected one therefore counts as a success.
- errors.timeout counts responses that arrived after --timeout (wrk keeps waiting for them and
  counts them in `requests` too, but not in the latency histogram): they are moved from the
  successes to the transport errors, as oha reports a timeout, so no response counts twice.
- connect/read/write errors are requests without a response, by kind.
- the window is summary.duration. wrk aborts the requests in flight when it stops and counts
  them nowhere (no equivalent of oha -w). With per-request bodies wrk.lua counts the requests
  it hands out, so the aborted ones are known (aborted_at_deadline, which devices-post's row
  check needs); otherwise only their bound is (-c requests), said in a note.
- latency percentiles come from wrk's histogram, which wrk has already corrected for
  coordinated omission (stats_correct back-fills samples above twice the mean interval), so
  its p99 can exceed oha's on the same level; requests/s are comparable.
- keep-alive has no off switch in wrk: without keep-alive the harness sends
  `Connection: close`, the server closes after each response and wrk reconnects."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

from .base import Invocation, Load, ToolResult

SCRIPT = Path(__file__).with_name("wrk.lua")
STATUS_ERRORS = "4xx/5xx"  # wrk's errors.status: responses with a status above 399
TIMEOUT_S = 30.0  # as oha's -t: a slow level is measured, not cut short
SOCKET_ERRORS = ("connect", "read", "write")
BANNER = re.compile(r"^(wrk \S+(?: \[\w+\])?)")


def binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise FileNotFoundError("wrk not found: `apt-get install wrk` (scripts/setup.sh installs it)")
    return found


def whole_seconds(duration_s: float) -> int:
    """wrk reads -d and --timeout as whole seconds (src/units.c, "2.5s" is refused): -d is the
    nearest, at least 1; the window it reports (summary.duration) is what rates use."""
    return max(1, round(duration_s))


def argv(url: str, users: int, duration_s: float, keepalive: bool = True, json_body: bool = False,
         timeout_s: float = TIMEOUT_S) -> list[str]:
    cmd = [binary(), "-t1", "-c", str(users), "-d", f"{whole_seconds(duration_s)}s",
           "--timeout", f"{max(1, math.ceil(timeout_s))}s", "--latency", "-s", str(SCRIPT)]
    if json_body:
        cmd += ["-H", "Content-Type: application/json"]
    if not keepalive:
        cmd += ["-H", "Connection: close"]
    return [*cmd, url]


def env(summary_path: Path, method: str = "GET", body: str = "", body_lines: Path | None = None) -> dict[str, str]:
    """wrk.lua's parameters: wrk passes a script no options of its own."""
    e = {"WRK_SUMMARY": str(summary_path), "WRK_METHOD": method}
    if body_lines is not None:
        e["WRK_BODIES"] = str(body_lines)
    elif body:
        e["WRK_BODY"] = body
    return e


def parse(raw: str | bytes, expected_status: int, users: int | None = None) -> ToolResult:
    """wrk.lua's summary -> ToolResult; users (the -c of the run) bounds the uncounted aborts."""
    data = json.loads(raw)
    if data.get("tool") != "wrk":
        raise ValueError(f"not a wrk.lua summary: {str(raw)[:200]!r}")
    errors = data["errors"]
    late, failed = int(errors["timeout"]), int(errors["status"])
    ok = max(int(data["requests"]) - failed - late, 0)
    status = {str(expected_status): ok} if ok else {}
    if failed:
        status[STATUS_ERRORS] = failed
    transport = {kind: int(errors[kind]) for kind in SOCKET_ERRORS if errors[kind]}
    if late:
        transport["timeout"] = late
    latency = {k: data["latency_ms"].get(k) for k in ("p50", "p90", "p95", "p99", "max", "mean")}
    notes = [f"wrk counts statuses above 399 only: the other responses are counted as {expected_status}",
             "wrk's latency percentiles include its coordinated-omission correction"]
    aborted = data.get("in_flight_at_stop")
    if aborted is None and users:
        notes.append(f"wrk drops the requests in flight at the deadline uncounted (up to {users})")
    return ToolResult(tool="wrk", duration_s=int(data["duration_us"]) / 1e6, status_codes=status,
                      transport_errors=transport, latency_ms=latency, aborted_at_deadline=int(aborted or 0),
                      notes=notes)


def banner_version(text: str) -> str | None:
    """`wrk -v` prints "wrk <version> [<event loop>] Copyright ..." and the usage, and exits 1."""
    m = BANNER.match(text.strip())
    return m.group(1) if m else None


class WrkTool:
    """wrk: a closed loop on one thread, pinned to the generator's core like oha."""

    name = "wrk"
    min_duration_s = 1.0  # -d takes whole seconds
    open_loop = False  # wrk2's -R is not packaged; wrk itself has no constant-rate mode
    raw_suffix = "json"  # of its raw output file
    latency_backfilled = True  # its histogram back-fills samples for coordinated omission

    @cache  # noqa: B019 -- one instance, one version per run
    def version(self) -> str | None:
        try:
            out = subprocess.run([binary(), "-v"], capture_output=True, text=True, timeout=20,
                                 check=False).stdout  # exits 1 by design: read, do not check
        except (OSError, subprocess.TimeoutExpired):
            return None
        return banner_version(out)

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        if load.rate:
            raise ValueError("wrk has no open loop: use oha or k6 for constant-rate levels")
        s = load.scenario
        lines = s.body_file(workdir, load.firmware_prefix)
        cmd = argv(s.url(base_url, load.params), load.users, load.duration_s, load.keepalive,
                   json_body=bool(lines or s.body))
        variables = env(raw_path, s.method, s.body, lines)
        return Invocation(cmd, stdout=raw_path.with_suffix(".stdout"), env=variables)

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        result = parse(raw, load.scenario.expected_status, load.users)
        if not load.keepalive:
            result.notes.append("keep-alive off: wrk sent `Connection: close` (it has no switch)")
        return result


WRK = WrkTool()
