"""A bounded background load: a few httpx tasks in their own thread and event loop, so the
main thread can stop and start servers (blocking calls) while requests keep flowing.

Every request is recorded with its start and end time (monotonic seconds, and the wall clock's
too), its status or transport error, and the JSON bodies it sent and got back, so that the
faults can be judged afterwards window by window.

A write whose endpoint takes an Idempotency-Key (the scenario says so) carries one, and an
answer that is not a 2xx or a 4xx (a 503, a 504, no answer at all) is retried with the same key
and body, as a client resolving an unknown outcome would: every attempt is its own Sample.
When the load stops, each key whose last answer left its outcome unknown is sent once more
(resolve), so that the check finds every such write resolved to one row or none."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Self

import httpx

from ..scenarios import SCENARIOS, Scenario


@dataclass
class Sample:
    start: float
    end: float
    status: int | None  # None: no HTTP answer (refused, reset, timed out)
    error: str | None = None
    json_detail: bool | None = None  # error answers: a JSON object with "detail"
    sent: dict | None = None  # the JSON body sent, if any
    answer: dict | None = None  # a 2xx: its JSON body
    key: str | None = None  # the Idempotency-Key sent, if any
    detail: object = None  # an error answer's "detail"
    wall_start: float = 0.0  # start and end on the wall clock (time.time())
    wall_end: float = 0.0

    @property
    def retry(self) -> bool:
        """The answer leaves the write's outcome open to a keyed retry: a 5xx or no answer."""
        return self.key is not None and (self.status is None or self.status >= 500)

    @property
    def latency(self) -> float:
        return self.end - self.start

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class BackgroundLoad:
    """`concurrency` closed-loop tasks, each pausing `pause` s between requests (so a 2-core
    machine is not saturated by the generator), stopped by stop() or by the time/count caps."""

    base_url: str
    shape: str  # a scenario's name: its request (and body) is the benchmark's own
    tag: str  # devices-post: every firmware starts with it, so the rows can be found
    concurrency: int = 8
    pause: float = 0.02
    timeout: float = 10.0
    max_seconds: float = 180.0
    max_requests: int = 60_000
    retry_pause: float = 0.2  # before a keyed retry
    resolve_limit_s: float = 20.0  # the resolving pass after stop() ends within this
    samples: list[Sample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._counter = itertools.count()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True,
                                        name=f"chaos-load-{self.shape}")

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> list[Sample]:
        """Stop, then send each key whose last answer left its outcome unknown once more."""
        self._stop.set()
        self._thread.join(self.timeout + 5)
        open_keys = unresolved(self.samples)
        if open_keys:
            asyncio.run(self._resolve(open_keys))
        return self.samples

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _main(self) -> None:
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, limits=limits) as client:
            deadline = time.monotonic() + self.max_seconds
            await asyncio.gather(*(self._worker(client, deadline) for _ in range(self.concurrency)))

    async def _worker(self, client: httpx.AsyncClient, deadline: float) -> None:
        scenario: Scenario = SCENARIOS[self.shape]
        path = scenario.request_path()
        while not self._stop.is_set() and time.monotonic() < deadline:
            n = next(self._counter)
            if n >= self.max_requests:
                return
            body = scenario.request_body(self.tag, n)
            key = scenario.idempotency_key(body)
            sample = await send(client, scenario.method, path, body, key)
            self.samples.append(sample)
            while sample.retry and not self._stop.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(self.retry_pause)
                sample = await send(client, scenario.method, path, body, key)
                self.samples.append(sample)
            await asyncio.sleep(self.pause)

    async def _resolve(self, last: list[Sample]) -> None:
        scenario = SCENARIOS[self.shape]
        path = scenario.request_path()
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, limits=limits) as client:
            async def again(s: Sample) -> Sample:
                return await send(client, scenario.method, path, s.sent, s.key)
            try:
                done = await asyncio.wait_for(asyncio.gather(*(again(s) for s in last)), self.resolve_limit_s)
            except TimeoutError:
                return
        self.samples.extend(done)


async def send(client: httpx.AsyncClient, method: str, path: str, body: dict | None,
               key: str | None = None) -> Sample:
    headers = {"Idempotency-Key": key} if key else None
    start, wall_start = time.monotonic(), time.time()
    try:
        resp = await client.request(method, path, json=body, headers=headers)
    except httpx.HTTPError as e:
        return Sample(start, time.monotonic(), None, type(e).__name__, sent=body, key=key,
                      wall_start=wall_start, wall_end=time.time())
    s = Sample(start, time.monotonic(), resp.status_code, sent=body, key=key, wall_start=wall_start,
               wall_end=time.time())
    try:
        data = resp.json()
    except ValueError:
        data = None
    if resp.status_code >= 400:
        s.json_detail = isinstance(data, dict) and "detail" in data
        s.detail = data.get("detail") if isinstance(data, dict) else None
    elif 200 <= resp.status_code < 300 and isinstance(data, dict):
        s.answer = data
    return s


def unresolved(samples: list[Sample]) -> list[Sample]:
    """The last attempt of each key whose outcome is unknown: no answer but 5xx or none, and
    one of them not a 503 (only 503s: the write definitely did not happen)."""
    last: dict[str, Sample] = {}
    settled, unknown = set(), set()
    for s in sorted(samples, key=lambda s: s.start):
        if s.key is None:
            continue
        last[s.key] = s
        if not s.retry:
            settled.add(s.key)
        elif s.status != 503:
            unknown.add(s.key)
    return [s for k, s in last.items() if k in unknown and k not in settled]


def post_one(base_url: str, scenario: Scenario, tag: str, n: int | str, timeout: float = 10.0) -> Sample:
    """One request of a writing scenario outside the background load (probes)."""

    async def once() -> Sample:
        body = scenario.request_body(tag, n)
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout) as client:
            return await send(client, scenario.method, scenario.path, body, scenario.idempotency_key(body))

    return asyncio.run(once())


# --- reading a run's samples, window by window ---------------------------------------------

def started_between(samples: list[Sample], t0: float, t1: float) -> list[Sample]:
    return [s for s in samples if t0 <= s.start < t1]


def first_ok_end_after(samples: list[Sample], t: float) -> float | None:
    ends = [s.end for s in samples if s.ok and s.end >= t]
    return min(ends) if ends else None


def last_ok_end_before(samples: list[Sample], t: float) -> float | None:
    ends = [s.end for s in samples if s.ok and s.end <= t]
    return max(ends) if ends else None


def status_counts(samples: list[Sample]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in samples:
        key = str(s.status) if s.status is not None else f"error:{s.error}"
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def max_latency(samples: list[Sample]) -> float | None:
    return max((s.latency for s in samples), default=None)


def dump(samples: list[Sample], t0: float) -> list[dict]:
    """Compact per-request record for the raw results (times relative to t0)."""
    return [{"t": round(s.start - t0, 3), "ms": round(1000 * s.latency, 1),
             "status": s.status, **({"error": s.error} if s.error else {})} for s in samples]
