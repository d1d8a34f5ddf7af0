"""A rolling deploy's SIGTERM, and one run of several faults at once.

sigterm: the service's process group gets SIGTERM under a write load, beside requests to a slow
upstream that are in flight at the signal. A graceful server stops accepting, finishes what it
has started and exits: every request that started before the signal gets an HTTP answer, the
process is gone within a bound, and the keyed retries of the writes it refused (after the
restart) leave nothing lied and nothing lost. The service is then started again by the bench.

combined: PostgreSQL slow throughout, the service killed and restarted meanwhile, then memcached
stopped: every answer outside the restart is still a 201 (a slow database is alive, a dead cache
does not fail a write), and nothing is lied or lost."""

from __future__ import annotations

import os
import shutil
import signal
import time

import psutil

from .. import scenarios
from ..servers import infra, mock
from . import judge
from .context import Context, Fault, Outcome, seconds
from .degraded import slow
from .hung import timeline
from .load import BackgroundLoad, Sample, last_ok_end_before, max_latency, status_counts
from .servers import start_server

GROUP = "Slow clients, deploys, combined"
# A request sent this shortly before the signal may not have reached the server yet (its bytes
# in flight, the server closing the connection as idle): it is not judged.
SIGNAL_RACE_S = 0.1


def signal_and_wait(ctx: Context, sig: int, limit_s: float) -> float | None:
    """Send `sig` to the service's process group; seconds until it exited, or None when it was
    still there after limit_s (it is then killed: the next fault needs its port). Its log is
    kept beside the run's."""
    old = ctx.running
    proc = psutil.Process(old.pid)
    t0 = time.monotonic()
    os.killpg(old.pid, sig)
    try:
        proc.wait(limit_s)  # psutil reaps our own child
        took = time.monotonic() - t0
    except psutil.TimeoutExpired:
        took = None
        os.killpg(old.pid, signal.SIGKILL)
        proc.wait(10)
    shutil.copy(old.log, ctx.raw_dir / f"{old.manifest.name}-{signal.Signals(sig).name}.log")
    return took


def restart(ctx: Context) -> str | None:
    """Start the service again through the bench; the error, if it did not come up."""
    try:
        ctx.start_service()
    except Exception as e:  # noqa: BLE001 -- recorded: the harness must not crash here
        return f"{type(e).__name__}: {e}"
    return None


def sigterm(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("sigterm")
    tag, writer, upstream = ctx.tag(out.fault), scenarios.writing("postgres"), scenarios.upstream()
    key = ctx.mock_key
    try:
        mock.configure(key, delay_ms=round(1000 * p.in_flight_s))
        loads = [BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency,
                                timeout=p.client_timeout_s).start(),
                 BackgroundLoad(ctx.base_url, upstream.name, "", concurrency=ctx.concurrency,
                                timeout=p.client_timeout_s).start()]
        try:
            time.sleep(max(p.before_s, 2 * p.in_flight_s))
            t_signal = time.monotonic()
            exited_in = signal_and_wait(ctx, signal.SIGTERM, p.exit_limit_s)
            t_restart = time.monotonic()
            restart_error = restart(ctx)
            t_up = time.monotonic()
            first_ok = None if restart_error else judge.wait_for_ok(loads[0], t_restart, t_up + 3 * p.recovery_limit_s)
            time.sleep(p.after_s)
        finally:
            writes, reads = (load.stop() for load in loads)
    finally:
        mock.reset(key)
    samples = writes + reads
    started = [s for s in samples if s.start < t_signal - SIGNAL_RACE_S]
    in_flight = [s for s in started if s.end > t_signal]
    cut = [s for s in in_flight if s.status is None]
    after = [s for s in samples if t_signal <= s.start < t_restart]
    last_ok = last_ok_end_before(writes, t_signal + (exited_in or p.exit_limit_s))
    lost = writer.check_writes(writes, tag, None)
    writer.forget_writes(tag)
    out.measured = {"loads": [writer.name, upstream.name], "requests": len(samples),
                    "statuses": status_counts(samples), "upstream_delay_s": p.in_flight_s,
                    "exited_in_s": exited_in, "restart_took_s": t_up - t_restart,
                    "restart_error": restart_error,
                    "in_flight": {"requests": len(in_flight), "statuses": status_counts(in_flight),
                                  "max_latency_s": max_latency(in_flight)},
                    "started_after_signal": {"requests": len(after), "statuses": status_counts(after)},
                    "last_2xx_after_signal_s": None if last_ok is None else last_ok - t_signal,
                    "first_write_2xx_after_restart_s": None if first_ok is None else first_ok - t_up,
                    "nothing_lost": lost}
    out.criteria = {
        "requests in flight at the signal": bool(in_flight),
        "every request started before the signal answered": not cut,
        f"exited within {p.exit_limit_s:g} s": exited_in is not None,
        "restarted on the same port": restart_error is None,
        "2xx again after restart": first_ok is not None,
        "nothing lost": lost["ok"],
    }
    drained = f"{len(in_flight) - len(cut)}/{len(in_flight)} in flight answered"
    exit_words = f"exit in {seconds(exited_in)}" if exited_in is not None else f"still running after {p.exit_limit_s:g} s"
    out.cell = f"{drained} ({_codes(in_flight)}); {exit_words}; {writer.check_words(lost)}"
    if restart_error:
        out.cell = f"restart failed: {restart_error[:80]}"
    return out


def _codes(samples: list[Sample]) -> str:
    return ", ".join(f"{n}× {k}" for k, n in status_counts(samples).items()) or "none"


def combined(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("combined")
    tag, writer = ctx.tag(out.fault), scenarios.writing("postgres")
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency,
                          timeout=p.client_timeout_s).start()
    t_cache_back = None
    try:
        time.sleep(p.before_s)
        with slow(ctx, "postgres") as w:
            time.sleep(p.before_s)
            t_kill = time.monotonic()
            signal_and_wait(ctx, signal.SIGKILL, p.exit_limit_s)
            restart_error = restart(ctx)  # under the slow database: its health check passes
            t_up = time.monotonic()
            time.sleep(p.before_s)
            infra.stop("memcached")  # after the restart: the bench waits for a healthy start
            t_cache_down = time.monotonic()
            time.sleep(p.outage_s)
            _, t_cache_back = start_server("memcached")
            time.sleep(p.before_s)
        first_ok = judge.wait_for_ok(load, w.off, w.off + 3 * p.recovery_limit_s)
        time.sleep(p.after_s)
    finally:
        samples = load.stop()
        if t_cache_back is None:
            infra.start("memcached")
    # A request in flight at the kill is cut; from then until recovery_limit_s after the restart
    # the service is starting, its pool cold on a slow database: a request may wait for it, go
    # unanswered, or get a 503/504.
    starting = [s for s in samples if s.end >= t_kill and s.start < t_up + p.recovery_limit_s]
    steady = [s for s in samples if not (s.end >= t_kill and s.start < t_up + p.recovery_limit_s)]
    not_created = [s for s in steady if s.status != writer.expected_status]
    refused = [s for s in starting
               if s.status is not None and not (s.ok or (s.status in (503, 504) and s.json_detail))]
    worst = max_latency(steady)
    back = judge.recovery(first_ok, w.off)
    # Keys of 201s while memcached was down, or reconnecting, may be missing: counted apart.
    lost = writer.check_writes(samples, tag, None, cache_exempt_before=t_cache_back + p.recovery_limit_s)
    writer.forget_writes(tag)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "slow_postgres_s": p.slow_postgres_s, "restart_error": restart_error,
                    "kill_at_s": t_kill - w.on, "restart_took_s": t_up - t_kill,
                    "memcached_down_at_s": t_cache_down - w.on, "memcached_down_s": t_cache_back - t_cache_down,
                    "steady": {"requests": len(steady), "statuses": status_counts(steady), "max_latency_s": worst},
                    "starting": {"requests": len(starting), "statuses": status_counts(starting),
                                 "max_latency_s": max_latency(starting)},
                    "recovery_s": back, "timeline": timeline(samples, w.on), "nothing_lost": lost}
    out.criteria = {
        "201 outside the restart": not not_created,
        "201 or 503/504 JSON while restarting": not refused,
        f"answered within {p.answer_limit_s:g} s outside the restart": worst is not None and worst <= p.answer_limit_s,
        "restarted on the same port": restart_error is None,
        f"2xx within {p.recovery_limit_s:g} s of the end": back is not None and back <= p.recovery_limit_s,
        "nothing lost": lost["ok"],
    }
    other = f" ({_codes(not_created)})" if not_created else ""
    out.cell = (f"{len(steady) - len(not_created)}/{len(steady)} 201{other}, worst {seconds(worst)}; "
                f"restart {seconds(t_up - t_kill)}, meanwhile {_codes(starting)}; {writer.check_words(lost)}")
    if restart_error:
        out.cell = f"restart failed: {restart_error[:80]}"
    return out


_WRITER = scenarios.writing("postgres")
DEPLOY_FAULTS = [
    Fault("sigterm", sigterm, "SIGTERM, restart",
          f"{_WRITER.name} load, beside {scenarios.upstream().name} requests the mock holds "
          "{in_flight_s:g} s (in flight at the signal); the service's process group gets SIGTERM, "
          f"as a rolling deploy sends it: every request started more than {SIGNAL_RACE_S:g} s "
          "before the signal gets an HTTP answer (no reset, no timeout), the process exits within "
          "{exit_limit_s:g} s (else it is killed, and this fails), and the bench starts it again "
          "on the same port; requests refused meanwhile are retried with their Idempotency-Key: "
          f"{_WRITER.writes_words()}.",
          group=GROUP),
    Fault("combined", combined, "slow PostgreSQL + SIGKILL + memcached stopped",
          f"{_WRITER.name} load; through Toxiproxy PostgreSQL answers {{slow_postgres_s:g}} s late "
          "throughout; meanwhile the service is killed (SIGKILL) and started again, then "
          "memcached is stopped {outage_s:g} s and started: every answer is a 201 (slow is alive, "
          "and a dead cache does not fail a write) within {answer_limit_s:g} s, except for requests "
          "in flight at the kill or started until {recovery_limit_s:g} s after the restart (the "
          "service starting, its pool cold on a slow database: no answer, or a 201, or a 503/504 "
          "JSON); a "
          "2xx within {recovery_limit_s:g} s of the end; "
          f"{_WRITER.writes_words()} (cache keys of 201s while memcached was down counted apart).",
          proxied=True, group=GROUP),
]
