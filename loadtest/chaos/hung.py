"""Dependencies that hang instead of refusing (CONTRACT.md, "General rules"): a server frozen
with SIGSTOP, and, through Toxiproxy, a database whose answers arrive seconds late, one that
drops every byte while holding the connection open (a black hole), and one that resets every
connection. Unlike a stopped server, nothing is refused: only the service's own timeouts
can answer the request, so every request started during the fault must get a JSON 503/504
(memcached: still a 201) within the contract's 5 s, and 2xx must come back within 5 s of the
end without a restart (no pool left holding connections to the hung server).

Each fault is a `Hang`: which server, which load, and how it hangs (an injector, a context
manager that starts the fault, yields its Window, and always ends it)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import httpx
import psutil

from .. import scenarios
from ..scenarios import Scenario
from ..servers import infra
from . import judge, observe, toxiproxy
from .context import Context, Fault, Outcome, seconds
from .load import BackgroundLoad, Sample, max_latency, started_between, status_counts

DATABASE_FAILURES = (503, 504)
GROUP = "Hung dependencies"


@dataclass
class Window:
    """When the fault was asked for (on_call), in force (on), asked to end (off_call), ended
    (off); monotonic seconds. `reaches_server`: whether bytes a service sends during the fault
    can still reach the server after it (a frozen server's kernel buffers them and commits them
    once resumed; a black hole or a reset drops them)."""

    on_call: float
    reaches_server: bool
    on: float = 0.0
    off_call: float = 0.0
    off: float = 0.0


Injector = Callable[[Context, str], AbstractContextManager[Window]]


@dataclass(frozen=True)
class Hang:
    name: str
    component: str  # postgres | mariadb | memcached
    load: Scenario  # the background load's scenario
    inject: Injector


# --- how a dependency hangs -----------------------------------------------------------------

@contextmanager
def frozen(ctx: Context, component: str) -> Iterator[Window]:
    """SIGSTOP the server's process tree for the body; SIGCONT whatever happens."""
    w = Window(time.monotonic(), reaches_server=True)
    stopped: list[psutil.Process] = []
    try:
        _freeze(component, stopped)
        w.on = time.monotonic()
        yield w
    finally:
        w.off_call = time.monotonic()
        for p in reversed(stopped):
            try:
                p.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                continue
        w.off = time.monotonic()


def _freeze(component: str, stopped: list[psutil.Process]) -> None:
    """The main process first: a stopped postmaster forks no new backend, so its children
    listed afterwards are all of them. Appends as it goes, so the caller resumes each one."""
    main = psutil.Process(infra.server_pids()[component])
    main.send_signal(signal.SIGSTOP)
    stopped.append(main)
    for child in main.children(recursive=True):
        try:
            child.send_signal(signal.SIGSTOP)
        except psutil.NoSuchProcess:
            continue
        stopped.append(child)


def toxic(kind: str) -> Injector:
    """An injector adding Toxiproxy toxics to the component's proxy for the body."""

    @contextmanager
    def inject(ctx: Context, component: str) -> Iterator[Window]:
        toxiproxy.reset()
        w = Window(time.monotonic(), reaches_server=kind == "latency")
        added: list[str] = []
        try:
            for name, kind_, stream, attributes in _toxics(kind, ctx):
                toxiproxy.add_toxic(component, name, kind_, stream, **attributes)
                added.append(name)
            w.on = time.monotonic()
            yield w
        finally:
            w.off_call = time.monotonic()
            try:
                for name in added:
                    toxiproxy.remove_toxic(component, name)
            finally:
                toxiproxy.reset()  # every toxic gone even if a removal failed
            w.off = time.monotonic()

    return inject


def _toxics(kind: str, ctx: Context) -> list[tuple[str, str, str, dict]]:
    """(name, toxiproxy type, stream, attributes). upstream = service to server."""
    if kind == "latency":  # every answer from the server held back
        return [("slow", "latency", "downstream", {"latency": int(1000 * ctx.profile.latency_s)})]
    if kind == "blackhole":  # timeout=0: bytes dropped both ways, the connection kept open
        return [("drop-up", "timeout", "upstream", {"timeout": 0}),
                ("drop-down", "timeout", "downstream", {"timeout": 0})]
    if kind == "reset":  # the first bytes the service sends are answered with a TCP RST
        return [("rst", "reset_peer", "upstream", {"timeout": 0})]
    raise ValueError(kind)


# --- one run: load, the hang, the end of it, and the judgement ----------------------------------

@dataclass
class Run:
    """What a hang run measured, before judgement."""

    samples: list[Sample]
    window: Window
    pid: int
    before: dict


def run(ctx: Context, hang: Hang) -> Outcome:
    out = Outcome(hang.name)  # created first: its clock times the whole fault
    judge_ = _judge_cache if hang.component == "memcached" else _judge_database
    judge_(ctx, hang, measure(ctx, hang), out)
    return out


def measure(ctx: Context, hang: Hang) -> Run:
    """The hang's load, the hang, and load past the recovery limit after it."""
    p = ctx.profile
    before = {"set_errors": _set_errors(ctx), "writes": hang.load.write_state()}
    pid = ctx.running.pid
    load = BackgroundLoad(ctx.base_url, hang.load.name, ctx.tag(hang.name), concurrency=ctx.concurrency,
                          timeout=p.client_timeout_s).start()
    try:
        time.sleep(p.before_s)
        with hang.inject(ctx, hang.component) as w:
            time.sleep(p.hang_s)
        # Wait for the first 2xx (judged later from the samples), then load on past the
        # recovery limit: from then on every answer must be a 2xx.
        judge.wait_for_ok(load, w.off, w.off + 3 * p.recovery_limit_s)
        time.sleep(max(0.0, w.off + p.recovery_limit_s + p.after_s - time.monotonic()))
    finally:
        samples = load.stop()
    return Run(samples, w, pid, before)


def _set_errors(ctx: Context) -> float | None:
    """None when /metrics does not answer: a service the hang left stuck is a result (its
    criteria fail), not a harness error that would lose the run's measurements."""
    try:
        return observe.metric(ctx.base_url, "app_op_errors_total", op="set", db="memcache")
    except httpx.HTTPError:
        return None


def _common(ctx: Context, r: Run) -> tuple[dict, dict]:
    """Measurements and criteria every hang shares: answers in bounded time, every request
    answered, only 2xx once the recovery limit has passed, the same process."""
    p, w = ctx.profile, r.window
    in_flight = [s for s in r.samples if s.start < w.off and s.end > w.on_call]
    worst = max_latency(in_flight)
    unanswered = [s for s in r.samples if s.status is None]
    settled = [s for s in r.samples if s.start >= w.off + p.recovery_limit_s]
    measured = {
        "requests": len(r.samples), "statuses": status_counts(r.samples),
        "fault_s": w.off - w.on, "inject_took_s": w.on - w.on_call, "end_took_s": w.off - w.off_call,
        "in_flight": {"requests": len(in_flight), "statuses": status_counts(in_flight),
                      "max_latency_s": worst},
        "unanswered": status_counts(unanswered),
        "settled": {"requests": len(settled), "statuses": status_counts(settled)},
        "timeline": timeline(r.samples, w.on),
    }
    criteria = {
        f"answered within {p.answer_limit_s:g} s": worst is not None and worst <= p.answer_limit_s,
        "every request answered": not unanswered,
        f"only 2xx from {p.recovery_limit_s:g} s after the end": bool(settled) and all(s.ok for s in settled),
        "no restart": ctx.running.alive() and ctx.running.pid == r.pid,
    }
    return measured, criteria


def timeline(samples: list[Sample], t0: float) -> list[dict]:
    """Answers per 1-s bucket of their end, relative to the fault's start: how the service
    answered second by second (raw results only)."""
    buckets: dict[int, list[Sample]] = {}
    for s in samples:
        buckets.setdefault(int((s.end - t0) // 1), []).append(s)
    return [{"t": t, **status_counts(buckets[t])} for t in sorted(buckets)]


def _judge_database(ctx: Context, hang: Hang, r: Run, out: Outcome) -> None:
    p, w = ctx.profile, r.window
    measured, common = _common(ctx, r)
    during = started_between(r.samples, w.on, w.off_call)
    # A toxic's removal (and SIGCONT) acts before the call returns: an answer that arrives once
    # the end was asked for came after the fault, like the external fault's windows.
    answers = judge.outage_answers(during, DATABASE_FAILURES, w.off_call)
    back = judge.recovery(judge.first_ok_end(r.samples, w.off), w.off)
    lost = _nothing_lost(ctx, hang, r)
    out.measured = {"load": hang.load.name, **measured, "during": answers, "recovery_s": back,
                    "nothing_lost": lost}
    out.criteria = {
        "requests during the fault": answers["requests"] > 0,
        "503/504 JSON during the fault": answers["unexpected"] == 0,
        **common,
        f"2xx within {p.recovery_limit_s:g} s of the end": back is not None and back <= p.recovery_limit_s,
    }
    if lost is not None:
        out.criteria["nothing lost"] = lost["ok"]
    codes = "/".join(k for k in answers["statuses"] if k.startswith("5")) or "no 5xx"
    other = f" ({answers['unexpected']} other)" if answers["unexpected"] else ""
    out.cell = (f"{codes} in ≤{seconds(measured['in_flight']['max_latency_s'])}{other}; "
                f"2xx {seconds(back)} after{_settled_text(measured, p.recovery_limit_s)}"
                + (f"; {hang.load.check_words(lost)}" if lost is not None else ""))


def _nothing_lost(ctx: Context, hang: Hang, r: Run) -> dict | None:
    """The load's own check of its writes (None for a load that only reads)."""
    tag = ctx.tag(hang.name)
    lost = hang.load.check_writes(r.samples, tag, r.before["writes"])
    hang.load.forget_writes(tag)
    return lost


def _judge_cache(ctx: Context, hang: Hang, r: Run, out: Outcome) -> None:
    p, w = ctx.profile, r.window
    measured, common = _common(ctx, r)
    during = started_between(r.samples, w.on, w.off_call)
    created = sum(1 for s in during if s.status == hang.load.expected_status)
    after = _set_errors(ctx)
    before = r.before["set_errors"]
    rose = before is not None and after is not None and after > before
    # Sets fail while memcached hangs, and clients may take a moment to reconnect: 201s
    # started before the recovery limit may lack their key; every later one must have it.
    tag = ctx.tag(hang.name)
    lost = hang.load.check_writes(r.samples, tag, r.before["writes"], cache_exempt_before=w.off + p.recovery_limit_s)
    hang.load.forget_writes(tag)
    out.measured = {"load": hang.load.name, **measured,
                    "during": {"requests": len(during), "statuses": status_counts(during)},
                    "set_errors_before": before, "set_errors_after": after, "nothing_lost": lost}
    out.criteria = {
        "requests during the fault": bool(during),
        "201 during the fault": created == len(during),
        **common,
        "set errors counted": rose,
        "nothing lost": lost["ok"],
    }
    errors = f"set errors +{after - before:g}" if rose else "set errors not counted"
    out.cell = (f"{created}/{len(during)} 201 in ≤{seconds(measured['in_flight']['max_latency_s'])}; "
                f"{errors}{_settled_text(measured, p.recovery_limit_s)}; {hang.load.check_words(lost)}")


def _settled_text(measured: dict, limit_s: float) -> str:
    settled = measured["settled"]["statuses"]
    bad = sum(n for k, n in settled.items() if not k.startswith("2"))
    unanswered = sum(measured["unanswered"].values())
    return ((f"; {bad} not 2xx from {limit_s:g} s after" if bad else "")
            + (f"; {unanswered} unanswered" if unanswered else ""))


# --- the registry's entries (faults.FAULTS) ---------------------------------------------------

SERVER = {"postgres": "PostgreSQL", "mariadb": "MariaDB", "memcached": "memcached"}
HOW = {  # column, then what the criterion says is done
    "stall": ("{server} frozen {{hang_s:g}} s",
              "{what} gets SIGSTOP for {{hang_s:g}} s, then SIGCONT"),
    "latency": ("{server} +{{latency_s:g}} s latency",
                ("through Toxiproxy, every answer of {server} is held back {{latency_s:g}} s "
                 "(a `latency` toxic, downstream) for {{hang_s:g}} s")),
    "blackhole": ("{server} black hole {{hang_s:g}} s",
                  ("through Toxiproxy, every byte to and from {server} is dropped while the "
                   "connections stay open (a `timeout` toxic with timeout=0 on both streams) "
                   "for {{hang_s:g}} s; removing it closes the connections it held")),
    "reset": ("{server} resets connections {{hang_s:g}} s",
              ("through Toxiproxy, every connection to {server} is reset (TCP RST) as soon as "
               "the service sends on it (a `reset_peer` toxic, upstream, timeout=0) for "
               "{{hang_s:g}} s")),
}
WHAT_FROZEN = {"postgres": "PostgreSQL (the postmaster and every backend)", "mariadb": "mariadbd",
               "memcached": "memcached"}
EXPECT_DATABASE = (
    "every request started during the fault is answered 503 or 504 with a JSON `detail` (or a "
    "2xx that completed after the end), every request in flight within {answer_limit_s:g} s, "
    "none unanswered (the load's client waits {client_timeout_s:g} s, so a hang shows as one); "
    "a 2xx within {recovery_limit_s:g} s of the end and only 2xx from then on, same process (no "
    "pool left holding dead connections)")
EXPECT_CACHE = (
    "every request started during the fault is a 201, every request in flight is answered "
    "within {answer_limit_s:g} s, none unanswered (client timeout {client_timeout_s:g} s); "
    "`app_op_errors_total{{op=\"set\",db=\"memcache\"}}` rises; only 201 from "
    "{recovery_limit_s:g} s after the end, same process; nothing lost (keys of 201s before then "
    "counted apart)")
def _fault(how: str, component: str, load: Scenario) -> Fault:
    """One registry entry: the Hang, its column and its criterion (templates of the Profile)."""
    name = f"{how}-{component}"
    server = SERVER[component]
    hang = Hang(name, component, load, frozen if how == "stall" else toxic(how))
    column, done = (t.format(server=server, what=WHAT_FROZEN[component]) for t in HOW[how])
    # The table's usual load is the one writing to PostgreSQL; any other is named.
    column += "" if load is scenarios.writing("postgres") else f" ({load.name})"
    if component == "memcached":
        expect = EXPECT_CACHE
    else:
        words = load.writes_words()
        expect = EXPECT_DATABASE + (f"; {words}" if words else "")
    criterion = f"{load.name} load; {done}: {expect}."
    return Fault(name, lambda ctx: run(ctx, hang), column, criterion, proxied=how != "stall",
                 group=GROUP)


# Each under the load of the scenario that writes to the server, but a slow PostgreSQL: under a
# read, whose one query waits the whole added latency (scenarios.reading).
writing, reading = scenarios.writing, scenarios.reading
HUNG_FAULTS = [
    _fault("stall", "postgres", writing("postgres")),
    _fault("stall", "mariadb", writing("mariadb")),
    _fault("stall", "memcached", writing("memcached")),
    _fault("latency", "postgres", reading("postgres")),
    _fault("latency", "mariadb", writing("mariadb")),
    _fault("blackhole", "postgres", writing("postgres")),
    _fault("blackhole", "mariadb", writing("mariadb")),
    _fault("blackhole", "memcached", writing("memcached")),
    _fault("reset", "postgres", writing("postgres")),
    _fault("reset", "mariadb", writing("mariadb")),
]
