"""Dependencies that live but misbehave: a database slow on every answer (yet well within the
contract's bounds), PostgreSQL restarted while the service's pool sits idle on connections
to the old server, PostgreSQL refusing every write (read-only), and an upstream that starts
answering at once but sends its body so slowly that the whole answer comes too late.

Each runs under the load of the scenario that writes to the server (fetch-external for the
upstream), and every write is checked key by key afterwards (scenarios/devices_post_writes)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import scenarios
from ..core.config import settings
from ..servers import infra, mock
from . import judge, toxiproxy
from .context import Context, Fault, Outcome, Profile, seconds
from .hung import Hang, Run, Window, measure
from .load import BackgroundLoad, Sample, max_latency, started_between, status_counts
from .servers import postgres_admin, start_server

GROUP = "Slow, restarted, read-only, trickling"
SERVER = {"postgres": "PostgreSQL", "mariadb": "MariaDB"}


def slow_s(p: Profile, component: str) -> float:
    return p.slow_postgres_s if component == "postgres" else p.slow_mariadb_s


# --- slow but living: every answer late, every request still in its bounds ---------------------

@contextmanager
def slow(ctx: Context, component: str) -> Iterator[Window]:
    """Every answer of the server held back slow_s through Toxiproxy (a `latency` toxic,
    downstream) for the body; every toxic gone afterwards, whatever happens."""
    toxiproxy.reset()
    w = Window(time.monotonic(), reaches_server=True)
    try:
        ms = round(1000 * slow_s(ctx.profile, component))
        toxiproxy.add_toxic(component, "slow", "latency", "downstream", latency=ms)
        w.on = time.monotonic()
        yield w
    finally:
        w.off_call = time.monotonic()
        toxiproxy.reset()
        w.off = time.monotonic()


def slow_database(ctx: Context, component: str) -> Outcome:
    name = f"slow-{component}"
    out = Outcome(name)
    hang = Hang(name, component, scenarios.writing(component), slow)
    judge_slow(ctx, hang, measure(ctx, hang), out)
    return out


def judge_slow(ctx: Context, hang: Hang, r: Run, out: Outcome) -> None:
    """Slow is not down: every request of the run answered with the scenario's success, in the
    contract's bound, nothing lied or lost; latencies rise, and are recorded, not judged."""
    p, w, load = ctx.profile, r.window, hang.load
    during = started_between(r.samples, w.on, w.off_call)
    before = [s for s in r.samples if s.end < w.on_call]
    failed = [s for s in r.samples if s.status != load.expected_status]
    worst = max_latency(r.samples)
    lost = load.check_writes(r.samples, ctx.tag(out.fault), r.before["writes"])
    load.forget_writes(ctx.tag(out.fault))
    median_before, median_during = _median_latency(before), _median_latency(during)
    out.measured = {"load": load.name, "requests": len(r.samples), "statuses": status_counts(r.samples),
                    "added_latency_s": slow_s(p, hang.component),
                    "during": {"requests": len(during), "statuses": status_counts(during)},
                    "median_latency_before_s": median_before, "median_latency_during_s": median_during,
                    "max_latency_s": worst, "nothing_lost": lost}
    out.criteria = {
        "requests during the fault": bool(during),
        f"only {load.expected_status}": not failed,
        f"answered within {p.answer_limit_s:g} s": worst is not None and worst <= p.answer_limit_s,
        "no restart": ctx.running.alive() and ctx.running.pid == r.pid,
        "nothing lost": lost["ok"],
    }
    other = f" ({len(failed)} not {load.expected_status}: {_codes(failed)})" if failed else ""
    succeeded = sum(1 for s in during if s.status == load.expected_status)
    out.cell = (f"{succeeded}/{len(during)} {load.expected_status}"
                f"{other}; median {_ms(median_before)} → {_ms(median_during)}, worst {seconds(worst)}; "
                f"{load.check_words(lost)}")


def _median_latency(samples: list[Sample]) -> float | None:
    return statistics.median(s.latency for s in samples) if samples else None


def _ms(x: float | None) -> str:
    return "—" if x is None else f"{1000 * x:.0f} ms"


def _codes(samples: list[Sample]) -> str:
    return ", ".join(f"{n}× {k}" for k, n in status_counts(samples).items())


# --- PostgreSQL restarted while the pool is idle -------------------------------------------------

def restart_postgres_idle(ctx: Context) -> Outcome:
    """A warm pool, no request in flight, PostgreSQL stopped and started: every pooled
    connection is dead, and the service only finds out when the next requests use them."""
    p, out = ctx.profile, Outcome("restart-postgres-idle")
    tag, writer = ctx.tag(out.fault), scenarios.writing("postgres")
    pid = ctx.running.pid
    with BackgroundLoad(ctx.base_url, writer.name, tag + "warm-", concurrency=ctx.concurrency) as warm:
        time.sleep(p.before_s)  # every pooled connection opened and used
    time.sleep(p.idle_s)
    t_stop = time.monotonic()
    infra.stop("postgres")
    _, t_back = start_server("postgres")
    t_ready = time.monotonic()  # its bootstrap done: a new connection would work
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency,
                          timeout=p.client_timeout_s).start()
    t_load = time.monotonic()
    try:
        time.sleep(p.cold_errors_s + p.recovery_limit_s + p.after_s)
    finally:
        samples = load.stop()
    cold = [s for s in samples if s.start < t_load + p.cold_errors_s]
    errors = [s for s in samples if s.status != writer.expected_status]
    late = [s for s in errors
            if not (s.status == 503 and s.json_detail and s.start < t_load + p.cold_errors_s)]
    lost = writer.check_writes(warm.samples + samples, tag, None)
    writer.forget_writes(tag)
    last_error = max((s.start - t_load for s in errors), default=None)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "warm_requests": len(warm.samples), "idle_s": p.idle_s,
                    "restart_took_s": t_ready - t_stop, "port_back_after_s": t_back - t_stop,
                    "first_second": {"requests": len(cold), "statuses": status_counts(cold)},
                    "errors": len(errors), "last_error_started_s": last_error, "nothing_lost": lost}
    out.criteria = {
        f"only 201, or 503 JSON for requests started in the first {p.cold_errors_s:g} s": not late,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
        "nothing lost": lost["ok"],
    }
    if not errors:
        words = "0 errors"
    else:
        words = (f"{len(errors)} error{'s' if len(errors) > 1 else ''} ({_codes(errors)}), the last "
                 f"started {seconds(last_error)} after the load")
    out.cell = f"{words}; {writer.check_words(lost)}"
    return out


# --- PostgreSQL read-only ---------------------------------------------------------------------

READ_ONLY = "default_transaction_read_only"


@contextmanager
def read_only(settle_s: float = 0.3) -> Iterator[Window]:
    """PostgreSQL refuses every write in the body (SQLSTATE 25006), and takes them again after.

    ALTER SYSTEM writes postgresql.auto.conf, and a reload makes every backend read it before its
    next command: pooled connections too (the setting comes from the file, and no session of the
    services sets it), which ALTER DATABASE ... SET would reach only in new sessions. The
    window opens once a new session sees it, plus settle_s for the reload to reach every
    backend; the setting is reset in a finally, whatever happens."""
    w = Window(time.monotonic(), reaches_server=True)
    with postgres_admin() as admin:
        try:
            admin.execute(f"ALTER SYSTEM SET {READ_ONLY} = on")
            admin.execute("SELECT pg_reload_conf()")
            _wait_for_setting("on")
            time.sleep(settle_s)
            w.on = time.monotonic()
            yield w
        finally:
            w.off_call = time.monotonic()
            admin.execute(f"ALTER SYSTEM RESET {READ_ONLY}")
            admin.execute("SELECT pg_reload_conf()")
            _wait_for_setting("off")
            w.off = time.monotonic()


def restore_writes() -> None:
    """Undo read_only if a run was killed inside it: the setting lives in the run's data
    directory (postgresql.auto.conf) and would outlive the harness. Idempotent."""
    with postgres_admin() as admin:
        if admin.execute(f"SHOW {READ_ONLY}").fetchone()[0] != "off":
            admin.execute(f"ALTER SYSTEM RESET {READ_ONLY}")
            admin.execute("SELECT pg_reload_conf()")
            _wait_for_setting("off")


def _wait_for_setting(value: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with postgres_admin() as conn:
            if conn.execute(f"SHOW {READ_ONLY}").fetchone()[0] == value:
                return
        time.sleep(0.05)
    raise RuntimeError(f"PostgreSQL: {READ_ONLY} not {value} after {timeout:g} s")


def readonly_postgres(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("readonly-postgres")
    tag, writer = ctx.tag(out.fault), scenarios.writing("postgres")
    pid = ctx.running.pid
    load = BackgroundLoad(ctx.base_url, writer.name, tag, concurrency=ctx.concurrency,
                          timeout=p.client_timeout_s).start()
    try:
        time.sleep(p.before_s)
        with read_only() as w:
            time.sleep(p.outage_s)
        first_ok = judge.wait_for_ok(load, w.off, w.off + 3 * p.recovery_limit_s)
        time.sleep(p.after_s)
    finally:
        samples = load.stop()
    # A write started before the reset that ends after it may have written after it: a 201 then.
    during = judge.outage_answers(started_between(samples, w.on, w.off_call), 503, w.off_call)
    timed_out = sum(n for k, n in during["statuses"].items() if k == "504")
    back = judge.recovery(first_ok, w.off)
    lost = writer.check_writes(samples, tag, None)
    writer.forget_writes(tag)
    out.measured = {"load": writer.name, "requests": len(samples), "statuses": status_counts(samples),
                    "read_only_s": w.off_call - w.on, "set_took_s": w.on - w.on_call,
                    "reset_took_s": w.off - w.off_call, "during": during, "recovery_s": back,
                    "nothing_lost": lost}
    out.criteria = {
        "requests while read-only": during["requests"] > 0,
        "503 JSON while read-only (no 504, no 500)": during["unexpected"] == 0,
        f"answered within {p.answer_limit_s:g} s": (during["max_latency_s"] or 0.0) <= p.answer_limit_s,
        f"2xx within {p.recovery_limit_s:g} s of the reset": back is not None and back <= p.recovery_limit_s,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
        "nothing lost": lost["ok"],
    }
    other = f" ({during['unexpected']} other: {_other(during['statuses'])})" if during["unexpected"] else ""
    out.cell = (f"503 in ≤{seconds(during['max_latency_s'])}{other}"
                + (f", {timed_out} 504" if timed_out else "")
                + f"; 2xx {seconds(back)} after the reset; {writer.check_words(lost)}")
    return out


def _other(statuses: dict[str, int]) -> str:
    return ", ".join(f"{n}× {k}" for k, n in statuses.items() if k != "503") or "503 without JSON"


# --- an upstream trickling its body -------------------------------------------------------------

def trickle_external(ctx: Context) -> Outcome:
    """The mock sends its head and first byte at once, the rest a byte at a time over
    trickle_s: only a deadline for the whole call (EXTERNAL_TIMEOUT_SECONDS) ends it."""
    p, out = ctx.profile, Outcome("trickle-external")
    key, pid, shape = ctx.mock_key, ctx.running.pid, scenarios.upstream().name
    limit = float(settings()["service"]["external_timeout_seconds"]) + 1.0
    try:
        mock.configure(key, delay_ms=20)
        load = BackgroundLoad(ctx.base_url, shape, "", concurrency=ctx.concurrency,
                              timeout=p.client_timeout_s).start()
        try:
            time.sleep(p.before_s)
            mock.configure(key, delay_ms=20, trickle_ms=round(1000 * p.trickle_s))
            t_on = time.monotonic()  # the mock switches before its PUT answers
            time.sleep(p.stall_s)
            t_off_call = time.monotonic()
            mock.configure(key, delay_ms=20)
            t_back = time.monotonic()
            first_ok = judge.wait_for_ok(load, t_back, t_back + 3 * p.recovery_limit_s)
            time.sleep(p.after_s)
        finally:
            samples = load.stop()
    finally:
        mock.reset(key)
    during = started_between(samples, t_on, t_off_call)
    # A request that reached the mock just after the switch back gets a whole answer at once:
    # a 200 in time. One that waited out the trickle comes too late, whatever its status.
    late = [s for s in during if s.latency > limit]
    wrong = [s for s in during if not ((s.status == 504 and s.json_detail) or (s.ok and s.latency <= limit))]
    timeouts = sum(1 for s in during if s.status == 504)
    worst = max_latency(during)
    back = judge.recovery(first_ok, t_back)
    out.measured = {"load": shape, "requests": len(samples), "statuses": status_counts(samples),
                    "trickle_s": p.trickle_s, "bound_s": limit,
                    "during": {"requests": len(during), "statuses": status_counts(during),
                               "max_latency_s": worst, "late": len(late)},
                    "recovery_s": back}
    out.criteria = {
        "requests while trickling": bool(during),
        "504 JSON while trickling": not wrong,
        f"answered within {limit:g} s": not late,
        "200 again": back is not None and back <= p.recovery_limit_s,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
    }
    other = f" ({len(wrong)} other: {_codes(wrong)})" if wrong else ""
    over = f"; {len(late)} after {limit:g} s ({_codes(late)})" if late else ""
    out.cell = f"{timeouts}/{len(during)} 504{other}, worst {seconds(worst)}{over}; 200 {seconds(back)} after"
    return out


# --- the registry's entries (faults.FAULTS) ---------------------------------------------------

def _slow_fault(component: str) -> Fault:
    load = scenarios.writing(component)
    field = f"slow_{component}_s"
    server = SERVER[component]
    named = "" if load is scenarios.writing("postgres") else f" ({load.name})"
    return Fault(
        f"slow-{component}", lambda ctx: slow_database(ctx, component),
        f"{server} +{{{field}:g}} s per answer{named}",
        f"{load.name} load; through Toxiproxy, every answer of {server} is held back "
        f"{{{field}:g}} s (a `latency` toxic, downstream) for {{hang_s:g}} s: slow, not down, "
        "well under the 3 s statement bound and the 5 s request bound: every request of the run "
        f"answers {load.expected_status}, within {{answer_limit_s:g}} s, same process; "
        f"{load.writes_words()}. Median latencies before and during are recorded, not judged.",
        proxied=True, group=GROUP)


_WRITER = scenarios.writing("postgres")
DEGRADED_FAULTS = [
    _slow_fault("postgres"),
    _slow_fault("mariadb"),
    Fault("restart-postgres-idle", restart_postgres_idle, "PostgreSQL restarted under an idle pool",
          f"{_WRITER.name} load for {{before_s:g}} s (the pool warm), {{idle_s:g}} s with no request, "
          "PostgreSQL stopped and started (`pg_ctl stop -m fast`: every pooled connection dies), "
          "then the load again: every answer is a 201, except a 503 with a JSON `detail` for "
          "requests started in its first {cold_errors_s:g} s (a pool that checks a connection "
          f"before use gives none), same process; {_WRITER.writes_words()}.",
          group=GROUP),
    Fault("readonly-postgres", readonly_postgres, "PostgreSQL read-only {outage_s:g} s",
          f"{_WRITER.name} load; `ALTER SYSTEM SET default_transaction_read_only = on` and a "
          "reload (which pooled connections read too) for {outage_s:g} s, then reset: every "
          "write started meanwhile answers 503 with a JSON `detail` (the server refused it: not "
          "written, never a 504 or a 500), within {answer_limit_s:g} s; a 2xx within "
          f"{{recovery_limit_s:g}} s of the reset, same process; {_WRITER.writes_words()}.",
          group=GROUP),
    Fault("trickle-external", trickle_external, "upstream trickles its body {trickle_s:g} s",
          f"{scenarios.upstream().name} load; for {{stall_s:g}} s the mock sends its status, headers "
          "and first byte at once and the rest of its body over {trickle_s:g} s (past "
          "EXTERNAL_TIMEOUT_SECONDS): every request answers 504 with a JSON `detail` within the "
          "timeout + 1 s (a deadline for the whole call, not per read; a 200 only for a request "
          "that reached the mock after it stopped trickling); 200 again afterwards, same process.",
          group=GROUP),
]
