"""The faults that break a dependency (or the service itself) under a background load.

Each takes the Context, runs its load, injects its fault, and returns an Outcome. Windows are
cut on the moments the fault changed state: requests *started* while a dependency was down are
judged against the outage criteria, requests after its return against recovery."""

from __future__ import annotations

import os
import shutil
import signal
import time

from .. import scenarios
from ..core.config import settings
from ..scenarios import Scenario
from ..servers import infra, mock
from . import judge, observe
from .context import Context, Fault, Outcome, seconds
from .degraded import DEGRADED_FAULTS
from .deploy import DEPLOY_FAULTS
from .hung import HUNG_FAULTS
from .load import (
    BackgroundLoad,
    Sample,
    last_ok_end_before,
    max_latency,
    post_one,
    started_between,
    status_counts,
)
from .overload import OVERLOAD
from .servers import start_server
from .slowloris import SLOWLORIS

# --- 1 and 3: a database stopped and started again ------------------------------------------

def postgres(ctx: Context) -> Outcome:
    return _database_outage(ctx, "postgres")


def mariadb(ctx: Context) -> Outcome:
    return _database_outage(ctx, "mariadb")


def _database_outage(ctx: Context, component: str) -> Outcome:
    """The server stopped under the load of the scenario that writes to it."""
    p, out = ctx.profile, Outcome(component)
    tag, writer = ctx.tag(component), scenarios.writing(component)
    state = writer.write_state()
    errors_before = judge.op_errors(ctx)
    pid = ctx.running.pid
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency).start()
    try:
        time.sleep(p.before_s)
        t_stop = time.monotonic()
        infra.stop(component)
        t_down = time.monotonic()
        time.sleep(p.outage_s)
        t_start, t_back = start_server(component)
        first_ok = judge.wait_for_ok(load, t_down, t_back + 3 * p.recovery_limit_s)
        time.sleep(p.after_s)
    finally:
        samples = load.stop()
    outage = judge.outage_answers(started_between(samples, t_down, t_start), 503, t_back)
    recovery = judge.recovery(first_ok, t_back)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "stop_took_s": t_down - t_stop, "outage_s": t_back - t_down,
                    "start_took_s": t_back - t_start, "outage": outage,
                    "recovery_s": recovery}
    out.measured["op_errors"] = judge.growth(errors_before, judge.op_errors(ctx))
    lost = writer.check_writes(samples, tag, state)
    writer.forget_writes(tag)
    out.measured["nothing_lost"] = lost
    answered_in = outage["max_latency_s"]
    out.criteria = {
        "requests during the outage": outage["requests"] > 0,
        "503 JSON during the outage": outage["unexpected"] == 0,
        f"answered within {p.answer_limit_s:g} s": answered_in is not None and answered_in <= p.answer_limit_s,
        f"2xx within {p.recovery_limit_s:g} s of return": recovery is not None and recovery <= p.recovery_limit_s,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
        "nothing lost": lost["ok"],
    }
    unexpected = f" ({outage['unexpected']} other)" if outage["unexpected"] else ""
    out.cell = (f"503 in ≤{seconds(answered_in)}{unexpected}; "
                f"2xx {seconds(recovery)} after return; {writer.check_words(lost)}")
    return out


# --- 2: memcached stopped ---------------------------------------------------------------------

def memcached(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("memcached")
    tag, writer = ctx.tag("memcached"), scenarios.writing("memcached")

    def set_errors() -> float | None:
        return observe.metric(ctx.base_url, "app_op_errors_total", op="set", db="memcache")

    errors_before = set_errors()
    probes: list[Sample] = []
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency).start()
    try:
        time.sleep(p.before_s)
        infra.stop("memcached")
        t_down = time.monotonic()
        time.sleep(p.outage_s)
        errors_during = set_errors()
        t_start, t_back = start_server("memcached")
        # A new POST's key must be found again: probe until it is.
        first_set = None
        while first_set is None and time.monotonic() < t_back + 3 * p.recovery_limit_s:
            probe = post_one(ctx.base_url, writer, tag, f"probe{len(probes)}")
            probes.append(probe)
            if probe.ok and probe.answer and writer.cached(probe.answer):
                first_set = probe.end - t_back
            time.sleep(0.1)
        time.sleep(max(p.after_s, t_back + p.recovery_limit_s + 1 - time.monotonic()))
    finally:
        samples = load.stop()
    window = started_between(samples, t_down, t_start)
    bad = [s for s in window if s.status != writer.expected_status]
    # Keys set before the stop vanished with memcached's memory, sets during the outage failed
    # by design, and clients may need a moment to reconnect: 201s started before the recovery
    # limit may lack their key (counted apart); every later 201 must be cached.
    lost = writer.check_writes(samples + probes, tag, None, cache_exempt_before=t_back + p.recovery_limit_s)
    writer.forget_writes(tag)
    last_miss = lost["last_cache_miss_start"]
    every_set = None if first_set is None else max(first_set, 0.0 if last_miss is None else last_miss - t_back)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "outage": {"requests": len(window), "statuses": status_counts(window),
                               "max_latency_s": max_latency(window)},
                    "set_errors_before": errors_before, "set_errors_during": errors_during,
                    "probes": len(probes), "first_set_after_return_s": first_set,
                    "every_set_after_return_s": every_set, "nothing_lost": lost}
    rose = errors_before is not None and errors_during is not None and errors_during > errors_before
    out.criteria = {
        "requests during the outage": len(window) > 0,
        "201 during the outage": not bad,
        "set errors counted": rose,
        f"sets succeed within {p.recovery_limit_s:g} s of return":
            every_set is not None and every_set <= p.recovery_limit_s,
        "nothing lost": lost["ok"],
    }
    errors = f"set errors +{errors_during - errors_before:g}" if rose else "set errors not counted"
    out.cell = (f"{len(window) - len(bad)}/{len(window)} 201; {errors}; every set succeeds "
                f"{seconds(every_set)} after return; {writer.check_words(lost)}")
    return out


# --- 4: the external upstream stalls, then errors ----------------------------------------------

def external(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("external")
    key, pid, shape = ctx.mock_key, ctx.running.pid, scenarios.upstream().name
    limit = float(settings()["service"]["external_timeout_seconds"]) + 1.0
    try:
        mock.configure(key, delay_ms=20)
        # Warm the service's client and pools, then read its resources at rest.
        with BackgroundLoad(ctx.base_url, shape, "", concurrency=ctx.concurrency):
            time.sleep(p.before_s)
        time.sleep(2)
        before = observe.process_resources(pid)
        load = BackgroundLoad(ctx.base_url, shape, "", concurrency=ctx.concurrency).start()
        try:
            time.sleep(p.before_s)
            mock.configure(key, delay_ms=5000)
            t_stall = time.monotonic()
            time.sleep(p.stall_s)
            # The mock switches before its PUT answers: a window ends when the PUT is sent.
            t_stall_end = time.monotonic()
            mock.configure(key, status=500)
            t_error = time.monotonic()
            time.sleep(p.error_s)
            t_error_end = time.monotonic()
            mock.configure(key, delay_ms=20)
            t_back = time.monotonic()
            first_ok = judge.wait_for_ok(load, t_back, t_back + 3 * p.recovery_limit_s)
            time.sleep(p.after_s)
        finally:
            samples = load.stop()
        time.sleep(p.settle_s)
        after = observe.process_resources(pid)
    finally:
        mock.reset(key)
    stall = judge.outage_answers(started_between(samples, t_stall, t_stall_end), 504, t_error)
    error = judge.outage_answers(started_between(samples, t_error, t_error_end), 502, t_back)
    recovery = judge.recovery(first_ok, t_back)
    growth = {k: after[k] - before[k] for k in ("fds", "tcp_connections", "threads")}
    out.measured = {"load": shape, "requests": len(samples), "statuses": status_counts(samples),
                    "stall": stall, "error": error, "recovery_s": recovery,
                    "resources_before": before, "resources_after": after, "growth": growth,
                    "bound_s": limit}
    out.criteria = {
        "requests in both phases": stall["requests"] > 0 and error["requests"] > 0,
        "504 JSON while stalled": stall["unexpected"] == 0,
        "502 JSON on upstream 500": error["unexpected"] == 0,
        f"answered within {limit:g} s": all(
            w["max_latency_s"] is not None and w["max_latency_s"] <= limit for w in (stall, error)),
        "200 again": recovery is not None and recovery <= p.recovery_limit_s,
        "no fd/connection leak": growth["fds"] <= p.leak_slack_fds and growth["tcp_connections"] <= p.leak_slack_fds,
        "no thread leak": growth["threads"] <= p.leak_slack_threads,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
    }
    out.cell = (f"504 in ≤{seconds(stall['max_latency_s'])}, 502 in ≤{seconds(error['max_latency_s'])}"
                f"{_unexpected(stall, error)}; fds {growth['fds']:+d}, threads {growth['threads']:+d}")
    return out


def _unexpected(*windows: dict) -> str:
    n = sum(w["unexpected"] for w in windows)
    return f" ({n} other)" if n else ""


# --- 6: the service killed and started again ----------------------------------------------------

def kill(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("kill")
    tag, writer = ctx.tag("kill"), scenarios.writing("postgres")
    state, old = writer.write_state(), ctx.running
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency).start()
    restart_error = None
    try:
        time.sleep(p.before_s)
        t_kill = time.monotonic()
        os.killpg(old.pid, signal.SIGKILL)  # the whole group: workers die with their master
        _reap(old.pid)
        shutil.copy(old.log, ctx.raw_dir / f"{old.manifest.name}-killed.log")
        t_restart = time.monotonic()
        try:
            ctx.start_service()
        except Exception as e:  # noqa: BLE001 -- recorded: the harness must not crash here
            restart_error = f"{type(e).__name__}: {e}"
        t_up = time.monotonic()
        first_ok = judge.wait_for_ok(load, t_kill, t_up + 3 * p.recovery_limit_s) if not restart_error else None
        time.sleep(p.after_s)
    finally:
        samples = load.stop()
    last_ok = last_ok_end_before(samples, t_kill)
    gap = None if first_ok is None or last_ok is None else first_ok - last_ok
    lost = writer.check_writes(samples, tag, state)
    writer.forget_writes(tag)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "restart_took_s": t_up - t_restart, "restart_error": restart_error,
                    "gap_s": gap, "first_ok_after_kill_s": None if first_ok is None else first_ok - t_kill,
                    "cut_requests": sum(1 for s in samples if s.status is None), "nothing_lost": lost}
    out.criteria = {
        "restarted on the same port": restart_error is None,
        "2xx again after restart": first_ok is not None,
        "nothing lost": lost["ok"],
    }
    out.cell = (f"gap {seconds(gap)} (restart {seconds(t_up - t_restart)}); "
                f"{writer.check_words(lost)}")
    if restart_error:
        out.cell = f"restart failed: {restart_error[:80]}"
    return out


def _reap(pid: int, timeout: float = 10.0) -> None:
    """Collect the killed child (ours) so it is not left a zombie."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.02)


# --- the registry: `loadtest chaos`, its table and CI read only this ------------------------------

def _load(scenario: Scenario) -> str:
    """How a criterion names its background load (the criteria are templates of the Profile)."""
    return f"{scenario.name} load; "


FAULTS: dict[str, Fault] = {f.name: f for f in (
    Fault("postgres", postgres, "PostgreSQL stopped {outage_s:g} s",
          _load(scenarios.writing("postgres")) + "every request started during the outage answers 503 with a JSON "
          "`detail` within {answer_limit_s:g} s; a 2xx within {recovery_limit_s:g} s of the "
          "database's return, same process; " + scenarios.writing("postgres").writes_words() + "."),
    Fault("memcached", memcached, "memcached stopped {outage_s:g} s",
          _load(scenarios.writing("memcached")) + "201 throughout the outage; "
          "`app_op_errors_total{{op=\"set\",db=\"memcache\"}}` rises; a new POST's key is in "
          "memcached within {recovery_limit_s:g} s of its return; nothing lost (keys the outage "
          "prevented counted apart)."),
    Fault("mariadb", mariadb, "MariaDB stopped {outage_s:g} s (" + scenarios.writing("mariadb").name + ")",
          _load(scenarios.writing("mariadb")) + "503 JSON within {answer_limit_s:g} s during the outage; 2xx "
          "within {recovery_limit_s:g} s of the return; " + scenarios.writing("mariadb").writes_words() + "."),
    Fault("external", external, "upstream stalls {stall_s:g} s, then 500",
          _load(scenarios.upstream()) + "the mock stalls 5 s (past EXTERNAL_TIMEOUT_SECONDS): 504, then "
          "answers 500: 502, each within the timeout + 1 s; 200 again afterwards; after a settle "
          "period, open fds and TCP connections at most {leak_slack_fds} and threads at most "
          "{leak_slack_threads} above the count before the fault (psutil)."),
    OVERLOAD,
    Fault("kill", kill, "SIGKILL, restart",
          _load(scenarios.writing("postgres")) + "the service's process group gets SIGKILL and is started again on "
          "the same port: the gap is the time between the last 2xx before the kill and the first "
          "after; requests cut by the kill are retried with their Idempotency-Key: nothing lied, nothing lost."),
    *HUNG_FAULTS,
    *DEGRADED_FAULTS,
    SLOWLORIS,
    *DEPLOY_FAULTS,
)}
