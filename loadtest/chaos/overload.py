"""5: overload. 10-user throughput, then `overload_users` connections at once, then 10 users
again: the process must survive, stay under its memory limit and get its throughput back.
Availability during the overload (share of 2xx among all attempts) is recorded, as in the
reference video where FastAPI's fell to zero."""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

from .. import isolation
from ..tools import oha
from .context import Context, GiB, Outcome
from .observe import RssPeak

PATH = "/api/users"
MEASURES = {"ok_per_s": "2xx/s", "ok_per_cpu_s": "2xx per CPU second"}


def _raise_fd_limit() -> None:
    """The generator needs a descriptor per connection (runs in the child before exec)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))


def run_oha(url: str, users: int, duration_s: float, raw: Path, pid: int) -> dict:
    """One oha window, with the service tree's CPU seconds over it: 2xx per CPU second does
    not move when other processes take the shared cores, 2xx per second does."""
    # No -w: requests in flight at the deadline are aborted and reported apart (not failures).
    argv = [oha.binary(), "--no-tui", "--output-format", "json", "--worker-threads", "1",
            "-z", f"{duration_s:g}s", "-t", "10s", "-c", str(users), url]
    cpu_before = isolation.tree_cpu_seconds(pid)
    with open(raw, "wb") as stdout:
        proc = subprocess.run(argv, check=False, stdout=stdout, stderr=subprocess.PIPE, timeout=duration_s + 60,
                              preexec_fn=_raise_fd_limit)
    cpu_s = isolation.tree_cpu_seconds(pid) - cpu_before
    if proc.returncode != 0:
        raise RuntimeError(f"oha exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-500:]}")
    r = oha.parse(raw.read_bytes())
    ok = sum(n for code, n in r.status_codes.items() if code.startswith("2"))
    attempts = sum(r.status_codes.values()) + sum(r.transport_errors.values())
    return {"users": users, "duration_s": r.duration_s, "status_codes": r.status_codes,
            "transport_errors": r.transport_errors, "aborted_at_deadline": r.aborted_at_deadline,
            "ok_per_s": ok / r.duration_s if r.duration_s else 0.0,
            "service_cpu_s": cpu_s, "ok_per_cpu_s": ok / cpu_s if cpu_s > 0 else 0.0,
            "availability": ok / attempts if attempts else 0.0, "latency_ms": r.latency_ms}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def overload(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("overload")
    url, pid = ctx.base_url + PATH, ctx.running.pid
    raw = ctx.raw_dir / f"{ctx.manifest.name}-overload"
    before = run_oha(url, p.throughput_users, p.throughput_s, raw.with_suffix(".before.json"), pid)
    sampler = RssPeak(pid)
    sampler.start()
    try:
        burst = run_oha(url, p.overload_users, p.overload_s, raw.with_suffix(".burst.json"), pid)
    finally:
        peak = sampler.finish()
    alive = ctx.running.alive()
    after = later = None
    if alive:
        after = run_oha(url, p.throughput_users, p.throughput_s, raw.with_suffix(".after.json"), pid)
        # The next window too: tells a slow recovery (backlog of abandoned requests) from noise.
        later = run_oha(url, p.throughput_users, p.throughput_s, raw.with_suffix(".later.json"), pid)

    def ratio_of(window: dict | None, key: str = p.throughput_measure) -> float | None:
        return window[key] / before[key] if window and before[key] else None

    ratio = ratio_of(after)
    out.measured = {"path": PATH, "before": before, "burst": burst, "after": after, "later": later,
                    "rss_peak_bytes": peak, "alive": alive, "throughput_ratio": ratio,
                    "throughput_ratio_later": ratio_of(later), "throughput_measure": p.throughput_measure,
                    "wall_ratio": ratio_of(after, "ok_per_s"),
                    "cpu_ratio": ratio_of(after, "ok_per_cpu_s"), "load_average": os.getloadavg()}
    out.criteria = {
        "survives": alive,
        f"RSS under {p.rss_limit / GiB:g} GiB": 0 < peak < p.rss_limit,
        f"{MEASURES[p.throughput_measure]} back to {p.throughput_ratio:.0%}": ratio is not None and ratio >= p.throughput_ratio,
    }
    out.cell = (f"{p.overload_users} conns: {burst['availability']:.0%} 2xx; RSS {peak / 2**20:.0f} MiB; "
                f"10 users: {before['ok_per_s']:.0f}/s before, {_pct(ratio_of(after, 'ok_per_s'))} after "
                f"({_pct(ratio_of(after, 'ok_per_cpu_s'))} per CPU s), "
                f"{_pct(ratio_of(later, 'ok_per_s'))} {p.throughput_s:g} s later")
    return out
