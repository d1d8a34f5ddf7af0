"""5: overload. 10-user throughput, then `overload_users` connections at once, then 10 users
again: the process must survive, stay under its memory limit and get its throughput back.
Availability during the overload (share of 2xx among all attempts) is recorded, as in the
reference video where FastAPI's fell to zero.

The documented run also bounds the overload itself: the service keeps serving (2xx per second
during it at least `goodput_ratio` of the 10-user rate before) and answers every request within
`answer_limit_s`, a fast 503 rather than a long queue. CI's quick run records both and asserts
neither: they are speeds of a shared machine."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
from collections import Counter
from pathlib import Path

from .. import scenarios, tools
from ..servers import procs
from ..tools import Load, Windowed
from .context import Context, Fault, GiB, Outcome
from .observe import rss_peak

SCENARIO = scenarios.reading("postgres")  # a read of the database: no rows to check afterwards
PATH = SCENARIO.request_path()


def _raise_fd_limit() -> None:
    """The generator needs a descriptor per connection (runs in the child before exec)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def run_window(url: str, users: int, duration_s: float, raw: Path, pid: int, csv: bool = False) -> dict:
    """One window of the overload's tool, with the service tree's CPU seconds over it: 2xx per
    CPU second does not move when other processes take the shared cores, 2xx per second does.
    With csv, the tool writes a line per answered request and the window also gets its 2xx
    per 1-s bucket."""
    tool: Windowed = tools.get(tools.OVERLOAD)  # type: ignore[assignment]
    # Requests in flight at the deadline are aborted and reported apart (not failures).
    argv = tool.window_argv(url, users, duration_s, per_request=csv, timeout_s=10)
    cpu_before = procs.tree_cpu_seconds(pid)
    with open(raw, "wb") as stdout:
        proc = subprocess.run(argv, check=False, stdout=stdout, stderr=subprocess.PIPE, timeout=duration_s + 60,
                              preexec_fn=_raise_fd_limit)
    cpu_s = procs.tree_cpu_seconds(pid) - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(f"{tools.OVERLOAD} exited {proc.returncode}: "
                           f"{proc.stderr.decode(errors='replace')[-500:]}")
    if csv:
        answered = tool.parse_ends(raw.read_bytes())
        ok_ends = [end for end, status in answered if status.startswith("2")]
        statuses = Counter(status for _, status in answered)
        window = {"duration_s": duration_s, "status_codes": dict(statuses),
                  "ok_per_second": per_second(ok_ends, duration_s),
                  "note": "csv: requests without an HTTP answer are not counted"}
        ok, attempts = len(ok_ends), len(answered)
    else:
        r = tool.parse(raw.read_bytes(), Load(SCENARIO, users, duration_s))
        ok = sum(n for code, n in r.status_codes.items() if code.startswith("2"))
        attempts = sum(r.status_codes.values()) + sum(r.transport_errors.values())
        window = {"duration_s": r.duration_s, "status_codes": r.status_codes,
                  "transport_errors": r.transport_errors, "aborted_at_deadline": r.aborted_at_deadline,
                  "latency_ms": r.latency_ms}
    d = window["duration_s"]
    return {"users": users, **window, "ok_per_s": ok / d if d else 0.0, "service_cpu_s": cpu_s,
            "ok_per_cpu_s": ok / cpu_s if cpu_s > 0 else 0.0,
            "availability": ok / attempts if attempts else 0.0}


def per_second(ends: list[float], window_s: float) -> list[int]:
    """Completions per whole second of the window (a partial last second is dropped)."""
    counts = [0] * int(window_s)
    for end in ends:
        if 0 <= end < len(counts):
            counts[int(end)] += 1
    return counts


def recovered_after(counts: list[int], baseline_per_s: float, ratio: float) -> int | None:
    """Seconds until throughput is back: the end of the first 1-s bucket at or above
    ratio x baseline from which the rest of the window stays there too, judged by the median
    of its seconds (a single good second followed by a relapse is not a recovery; a single
    slow second of a shared machine does not undo one). None if it never is."""
    floor = ratio * baseline_per_s
    for i, n in enumerate(counts):
        if n >= floor and statistics.median(counts[i:]) >= floor:
            return i + 1
    return None


def slowest(window: dict) -> float | None:
    """The window's slowest answer in seconds; a request that got no answer at all (the tool's
    own 10 s timeout, a reset) counts as unbounded. Requests aborted at the window's end are not
    answers and are left out."""
    if window.get("transport_errors"):
        return float("inf")
    ms = (window.get("latency_ms") or {}).get("max")
    return ms / 1000 if ms is not None else None


def overload(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("overload")
    url, pid = ctx.base_url + PATH, ctx.running.pid
    raw = ctx.raw_dir / f"{ctx.manifest.name}-overload"
    before = run_window(url, p.throughput_users, p.throughput_s, raw.with_suffix(".before.json"), pid)
    sampler = rss_peak(pid).start()
    try:
        burst = run_window(url, p.overload_users, p.overload_s, raw.with_suffix(".burst.json"), pid)
    finally:
        sampler.stop()
    peak = sampler.peaks.get("rss") or 0
    alive = ctx.running.alive()
    after = recovered = None
    if alive:
        after = run_window(url, p.throughput_users, p.recovery_window_s, raw.with_suffix(".after.csv"), pid,
                        csv=True)
        recovered = recovered_after(after["ok_per_second"], before["ok_per_s"], p.throughput_ratio)

    def ratio_of(key: str) -> float | None:
        return after[key] / before[key] if after and before[key] else None

    out.measured = {"path": PATH, "before": before, "burst": burst, "after": after,
                    "rss_peak_bytes": peak, "alive": alive, "judge_throughput": p.judge_throughput,
                    "recovered_after_s": recovered, "wall_ratio": ratio_of("ok_per_s"),
                    "cpu_ratio": ratio_of("ok_per_cpu_s"), "load_average": os.getloadavg()}
    goodput = burst["ok_per_s"] / before["ok_per_s"] if before["ok_per_s"] else None
    slowest_s = slowest(burst)
    out.measured.update(goodput_ratio=goodput, slowest_answer_s=slowest_s)
    if p.judge_throughput:
        back = f"2xx/s back to {p.throughput_ratio:.0%} within {p.recovery_limit_s:g} s"
        back_ok = recovered is not None and recovered <= p.recovery_limit_s
    else:
        back = "2xx, and only 2xx, in every second after"
        back_ok = after is not None and all(after["ok_per_second"]) and after["availability"] == 1.0
    out.criteria = {
        "survives": alive,
        f"RSS under {p.rss_limit / GiB:g} GiB": 0 < peak < p.rss_limit,
        back: back_ok,
    }
    if p.judge_throughput:
        out.criteria[f"2xx/s during it at least {p.goodput_ratio:.0%} of before"] = (
            goodput is not None and goodput >= p.goodput_ratio)
        out.criteria[f"every answer within {p.answer_limit_s:g} s"] = (
            slowest_s is not None and slowest_s <= p.answer_limit_s)
    series = ""
    if after and before["ok_per_s"]:
        series = " ".join(f"{n / before['ok_per_s']:.0%}" for n in after["ok_per_second"][:6])
    out.cell = (f"{p.overload_users} conns: {burst['availability']:.0%} 2xx, "
                f"{'—' if goodput is None else f'{goodput:.0%}'} of the 2xx/s before, slowest "
                f"{'—' if slowest_s is None else f'{slowest_s:.1f} s'}; RSS {peak / 2**20:.0f} MiB; "
                f"10 users: {before['ok_per_s']:.0f}/s before; after, per second: {series or '—'}; "
                f"back in {'—' if recovered is None else f'{recovered} s'}")
    return out


OVERLOAD = Fault(
    "overload", overload, "{overload_users} connections for {overload_s:g} s",
    f"{SCENARIO.method} {PATH}: "
    "{throughput_users} users for {throughput_s:g} s, {overload_users} connections for "
    "{overload_s:g} s (" + tools.OVERLOAD + "), then {throughput_users} users for "
    "{recovery_window_s:g} s: the process survives, its RSS peak stays under {rss_limit_gib:g} "
    "GiB, and {back}; in the documented run, 2xx/s during the overload at least {goodput_ratio:.0%} "
    "of the 10-user rate before and every answer within {answer_limit_s:g} s. The cell gives the share of 2xx among all attempts during the overload, "
    "the RSS peak, the 10-user 2xx/s before, each of the first seconds after as a share of it, "
    "and when throughput was back.")
