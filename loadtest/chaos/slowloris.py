"""Slow clients (slow-loris): more connections than the service has request slots, each
sending its request headers a line at a time, or a POST body a byte at a time, and never
finishing, while a normal load runs beside them.

A server that gives a connection a worker thread until its request is complete stops serving
the normal load once the slow clients hold every thread; one that reads requests without
blocking a worker, or bounds the time a request may take to arrive (and closes the connection
then), keeps serving it. Which one a service is, is a finding of its design: nothing here
expects either.

The slow clients are plain asyncio sockets in their own thread, bounded in number
(Profile.slow_clients_max) and in time (Profile.slow_clients_s)."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..scenarios import SCENARIOS, Scenario
from . import judge
from .context import Context, Fault, Outcome, seconds
from .load import BackgroundLoad, max_latency, status_counts

CONNECT_TIMEOUT_S = 5.0
KINDS = ("headers", "body")  # the slow clients alternate between the two


@dataclass
class SlowConnection:
    kind: str  # headers: the header lines trickle in; body: a POST whose body does
    opened: float | None = None  # monotonic, once connected
    closed: float | None = None  # when the server answered or closed it
    answer: str = ""  # the status line it sent, if any
    error: str | None = None  # could not connect


@dataclass
class SlowClients:
    host: str
    port: int
    count: int
    hold_s: float  # each connection is held this long at most
    drip_s: float  # a header line or a body byte this often
    connections: list[SlowConnection] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.connections = [SlowConnection(KINDS[i % len(KINDS)]) for i in range(self.count)]
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True,
                                        name="chaos-slow-clients")

    def start(self) -> SlowClients:
        self._thread.start()
        return self

    def join(self) -> list[SlowConnection]:
        """Wait until every connection is closed (at most hold_s and a connect timeout)."""
        self._thread.join(self.hold_s + CONNECT_TIMEOUT_S + 5)
        return self.connections

    async def _main(self) -> None:
        deadline = time.monotonic() + self.hold_s
        await asyncio.gather(*(self._hold(c, deadline) for c in self.connections))

    async def _hold(self, c: SlowConnection, deadline: float) -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port),
                                                    CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as e:
            c.error = type(e).__name__
            return
        c.opened = time.monotonic()
        head, drips = request(c.kind, self.host, self.port)
        try:
            writer.write(head)
            for drip in drips:
                if time.monotonic() >= deadline:
                    return
                try:  # whatever the server sends (an answer, or EOF) ends this client
                    data = await asyncio.wait_for(reader.read(512), min(self.drip_s, deadline - time.monotonic()))
                except TimeoutError:
                    writer.write(drip)
                    await writer.drain()
                    continue
                c.closed = time.monotonic()
                c.answer = data.split(b"\r\n", 1)[0].decode("latin-1")
                return
        except OSError:  # reset by the server
            c.closed = time.monotonic()
        finally:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 1)
            except (OSError, TimeoutError):
                pass


def request(kind: str, host: str, port: int) -> tuple[bytes, Iterator[bytes]]:
    """What a slow client sends at once, then what it sends a piece at a time, never the
    end: headers without the blank line that ends them, or a body shorter than declared."""
    if kind == "headers":
        head = f"GET /api/devices HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
        return head, (f"X-Slow-{i}: {i}\r\n".encode() for i in itertools.count())
    head = (f"POST /api/devices HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n{").encode()
    return head, itertools.repeat(b" ")  # whitespace: still the start of a valid object


def slow_client_count(ctx: Context) -> int:
    return min(4 * ctx.slots + 16, ctx.profile.slow_clients_max)


def beside() -> Scenario:
    """The normal load: the lightest request, which needs no dependency (devices-get)."""
    return next(s for s in SCENARIOS.values()
                if s.method == "GET" and not (s.reads or s.writes or s.upstream or s.params))


def slowloris(ctx: Context) -> Outcome:
    p, out = ctx.profile, Outcome("slowloris")
    normal, pid, count = beside(), ctx.running.pid, slow_client_count(ctx)
    load = BackgroundLoad(ctx.base_url, normal.name, "", concurrency=ctx.concurrency,
                          timeout=p.client_timeout_s).start()
    try:
        time.sleep(p.before_s)
        t_on = time.monotonic()
        conns = SlowClients("127.0.0.1", ctx.port, count, p.slow_clients_s, p.drip_s).start().join()
        t_off = time.monotonic()
        first_ok = judge.wait_for_ok(load, t_off, t_off + 3 * p.recovery_limit_s)
        time.sleep(p.after_s)
    finally:
        samples = load.stop()
    in_flight = [s for s in samples if s.start < t_off and s.end > t_on]
    bad = [s for s in in_flight if not (s.ok and s.latency <= p.answer_limit_s)]
    opened = [c for c in conns if c.opened is not None]
    closed = [c for c in opened if c.closed is not None]
    held = [c.closed - c.opened for c in closed]
    back = judge.recovery(first_ok, t_off)
    out.measured = {
        "load": normal.name, "requests": len(samples), "statuses": status_counts(samples),
        "slow_clients": {"count": count, "opened": len(opened), "closed_by_server": len(closed),
                         "closed_after_s": {"min": min(held, default=None),
                                            "median": statistics.median(held) if held else None},
                         "answers": _answers(closed),
                         "connect_errors": sum(1 for c in conns if c.error)},
        "during": {"requests": len(in_flight), "statuses": status_counts(in_flight),
                   "max_latency_s": max_latency(in_flight), "not_2xx_in_time": len(bad)},
        "recovery_s": back,
    }
    out.criteria = {
        "slow clients connected": bool(opened),
        f"normal load: 2xx within {p.answer_limit_s:g} s throughout": bool(in_flight) and not bad,
        f"2xx within {p.recovery_limit_s:g} s after": back is not None and back <= p.recovery_limit_s,
        "no restart": ctx.running.alive() and ctx.running.pid == pid,
    }
    kept = f"{len(in_flight) - len(bad)}/{len(in_flight)} 2xx in time, worst {seconds(max_latency(in_flight))}"
    cut = (f"server closed {len(closed)}/{len(opened)} after ≥{seconds(min(held))}" if closed
           else f"{len(opened)} held to the end")
    out.cell = f"{count} slow clients ({cut}); normal load {kept}"
    return out


def _answers(closed: list[SlowConnection]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in closed:
        key = c.answer or "closed"
        out[key] = out.get(key, 0) + 1
    return out


SLOWLORIS = Fault(
    "slowloris", slowloris, "slow clients {slow_clients_s:g} s",
    "4 slow connections per request slot + 16 (slots: the manifest's workers × threads; at most "
    "{slow_clients_max}), half sending their request headers a line every {drip_s:g} s without "
    "ending them, half a POST body a byte every {drip_s:g} s, held {slow_clients_s:g} s, beside a "
    f"{beside().name} load: every request of that load in flight meanwhile gets a 2xx within "
    "{answer_limit_s:g} s; a 2xx within {recovery_limit_s:g} s after, same process. A server "
    "that gives each connection a thread until its request has arrived fails this by design; "
    "how many slow connections the server closed, and when, is recorded.",
    group="Slow clients, deploys, combined")
