"""ApacheBench (Debian's apache2-utils) adapter: the tool of the FastAPI-vs-Gin write-up.

ab prints a text report, not JSON. It knows no status codes, only "Non-2xx responses", and its
"Failed requests" mixes requests without an answer (connect, receive, exceptions) with answers
whose length differed from the first one's (still answers). The window is "Time taken for
tests"; the latency percentiles are its "Total" times (connect + wait + transfer). ab speaks
HTTP/1.0 and opens a connection per request unless -k, which is how the write-up ran it.

A count-bounded load (loadtest.reproduce's CountedLoad) carries `requests`: ab stops at that
many requests or at the load's duration, whichever comes first (-t then -n: the later flag
wins for the count, the time limit stays)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from .base import Invocation, Load, ToolResult, version_line

APT_PACKAGE = "apache2-utils"
NON_2XX = "non-2xx"  # ab counts them without their status
FIELD = re.compile(r"^([A-Za-z0-9 -]+):\s+([0-9]+(?:\.[0-9]+)?)(?![0-9.])", re.MULTILINE)
FAILED = re.compile(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)")
PERCENT = re.compile(r"^\s+(\d+)%\s+(\d+)", re.MULTILINE)
MEAN = re.compile(r"^Time per request:\s+([0-9.]+) \[ms\] \(mean\)$", re.MULTILINE)


def binary() -> str:
    found = shutil.which("ab")
    if not found:
        raise FileNotFoundError(f"ab not found: `apt-get install -y {APT_PACKAGE}` (scripts/setup.sh)")
    return found


def argv(url: str, users: int, duration_s: float, requests: int | None = None,
         keepalive: bool = False, timeout_s: float = 30) -> list[str]:
    """-t bounds the time; -n after it bounds the count (ab's -t alone implies 50,000)."""
    cmd = [binary(), "-q", "-r", "-c", str(users), "-t", f"{max(1, round(duration_s))}",
           "-s", f"{max(1, round(timeout_s))}"]
    if requests:
        cmd += ["-n", str(max(requests, users))]  # ab refuses fewer requests than users
    if keepalive:
        cmd.append("-k")
    return [*cmd, url]


def parse(raw: str | bytes, expected_status: int = 200) -> ToolResult:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    fields = {k.strip(): float(v) for k, v in FIELD.findall(text)}
    if "Complete requests" not in fields or "Time taken for tests" not in fields:
        raise ValueError(f"not an ab report: {text[:200]!r}")
    connect = receive = exceptions = 0
    if m := FAILED.search(text):
        connect, receive, _length, exceptions = (int(x) for x in m.groups())
    complete, non_2xx = int(fields["Complete requests"]), int(fields.get("Non-2xx responses", 0))
    # Requests without an answer are in "Complete requests" too, and ab may count one of them
    # under two kinds (a refused connection: Receive and Exceptions), so the kinds are named
    # together and their count is capped by the requests.
    unanswered = min(complete, connect + receive + exceptions)
    answered = complete - unanswered
    status = {str(expected_status): answered - non_2xx} if answered - non_2xx else {}
    if non_2xx:
        status[NON_2XX] = non_2xx
    kinds = f"no answer (connect {connect}, receive {receive}, exceptions {exceptions})"
    transport = {kinds: unanswered} if unanswered else {}
    return ToolResult(tool="ab", duration_s=fields["Time taken for tests"], status_codes=status,
                      transport_errors=transport, latency_ms=_latency(text))


def _latency(text: str) -> dict[str, float | None]:
    pct = {int(p): float(ms) for p, ms in PERCENT.findall(text)}
    mean = MEAN.search(text)
    return {"p50": pct.get(50), "p90": pct.get(90), "p95": pct.get(95), "p99": pct.get(99),
            "max": pct.get(100), "mean": float(mean.group(1)) if mean else None}


class AbTool:
    """ab, closed loop: -c connections, each waiting for its answer."""

    name = "ab"
    min_duration_s = 1.0
    open_loop = False
    raw_suffix = "txt"  # of its raw output file

    def version(self) -> str | None:
        return version_line(binary, "-V")

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        s = load.scenario
        if s.method != "GET":
            raise FileNotFoundError(f"ab adapter: GET scenarios only, not {s.name}")
        cmd = argv(s.url(base_url, load.params), load.users, load.duration_s,
                   getattr(load, "requests", None), load.keepalive)
        return Invocation(cmd, stdout=raw_path)

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        result = parse(raw, load.scenario.expected_status)
        if NON_2XX in result.status_codes:
            result.notes.append("ab counts non-2xx answers without their status")
        return result


AB = AbTool()
