"""Freeze a dependency under load and time a service's answers: the hand check behind the
contract's "bounded time" rule for hung (not dead) dependencies.

    uv run --frozen python services/stall_check.py go_stdlib django --fault postgres

For each service (started from its manifest on the servers of `loadtest infra up`) and each
fault: warm the pools, SIGSTOP the server (PostgreSQL: the postmaster and every backend) for
`--seconds` while `--clients` clients send the fault's request in a loop, SIGCONT, then time
how long until the request succeeds again. A functional check, not a benchmark: run it on a
quiet machine only for what it prints, never for its speed.

  fault      request             wanted while frozen
  postgres   GET /api/users      503/504 within 5 s
  mariadb    POST /api/io-mix    503/504 within 5 s, mix_items row count unchanged
  memcached  POST /api/devices   201 within 5 s, app_op_errors_total{op="set",db="memcache"} up
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import psutil
import pymysql

from loadtest import infra, manifest, service
from loadtest.config import settings

BOUND_SECONDS = 5.0
RECOVERY_LIMIT_SECONDS = 20.0
REQUESTS = {
    "postgres": ("GET", "/api/users?limit=10", None, {503, 504}),
    "mariadb": ("POST", "/api/io-mix", None, {503, 504}),
    "memcached": ("POST", "/api/devices", {"mac": "EF-2B-C4-F5-D6-34", "firmware": "stall"}, {201}),
}


@dataclass
class Outcome:
    times: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    details: set[str] = field(default_factory=set)

    @property
    def worst(self) -> float:
        return max(self.times, default=0.0)


def server_processes(fault: str) -> list[psutil.Process]:
    main = psutil.Process(infra.server_pids()["mariadb" if fault == "mariadb" else fault])
    return [main, *main.children(recursive=True)]


@contextmanager
def frozen(fault: str):
    procs = server_processes(fault)
    for p in procs:
        p.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGCONT)
            except psutil.NoSuchProcess:
                pass


async def hammer(base_url: str, fault: str, seconds: float, clients: int) -> Outcome:
    method, path, body, _ = REQUESTS[fault]
    out = Outcome()
    stop_at = time.monotonic() + seconds

    async def client(http: httpx.AsyncClient) -> None:
        for _ in range(1000):  # bounded; the clock ends it first
            if time.monotonic() >= stop_at:
                return
            started = time.monotonic()
            try:
                resp = await http.request(method, path, json=body)
                out.statuses[resp.status_code] += 1
                if resp.status_code >= 500:
                    out.details.add(str(resp.json().get("detail"))[:120])
            except httpx.HTTPError as exc:
                out.statuses[type(exc).__name__] += 1
            out.times.append(time.monotonic() - started)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return out


def time_to_recover(base_url: str, fault: str) -> float | None:
    method, path, body, _ = REQUESTS[fault]
    started = time.monotonic()
    with httpx.Client(base_url=base_url, timeout=10) as http:
        while time.monotonic() - started < RECOVERY_LIMIT_SECONDS:
            try:
                if http.request(method, path, json=body).is_success:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    return None


def mix_rows() -> int:
    s = settings()["mariadb"]
    conn = pymysql.connect(host=s["host"], port=s["port"], user=s["user"], password=s["password"],
                           database=s["database"], connect_timeout=5)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mix_items")
        return cur.fetchone()[0]


def set_errors(base_url: str) -> float:
    for line in httpx.get(f"{base_url}/metrics", timeout=10).text.splitlines():
        if line.startswith("app_op_errors_total") and 'op="set"' in line and 'db="memcache"' in line:
            return float(line.rsplit(" ", 1)[1])
    return float("nan")


def check(base_url: str, fault: str, seconds: float, clients: int) -> bool:
    method, path, body, wanted = REQUESTS[fault]
    with httpx.Client(base_url=base_url, timeout=30) as http:  # warm every pool first
        for _ in range(clients):
            http.request(method, path, json=body).raise_for_status()
    rows, errors = (mix_rows() if fault == "mariadb" else None), set_errors(base_url)
    with frozen(fault):
        out = asyncio.run(hammer(base_url, fault, seconds, clients))
    recovered = time_to_recover(base_url, fault)
    ok = out.worst < BOUND_SECONDS and set(out.statuses) <= wanted and recovered is not None
    print(f"  {fault:9} {method} {path}: worst {out.worst:.2f} s over {len(out.times)} requests, "
          f"{dict(out.statuses)}, 2xx again {recovered if recovered is None else round(recovered, 2)} s "
          f"after SIGCONT; details {sorted(out.details)}")
    if fault == "mariadb":
        after = mix_rows()
        ok &= after == rows
        print(f"  {'':9} mix_items rows {rows} -> {after}")
    if fault == "memcached":
        after = set_errors(base_url)
        ok &= after > errors
        print(f"  {'':9} app_op_errors_total{{op=set,db=memcache}} {errors} -> {after}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="+")
    parser.add_argument("--fault", choices=[*REQUESTS, "all"], default="all")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    faults = list(REQUESTS) if args.fault == "all" else [args.fault]
    infra.require_listening()
    failed = []
    for name in args.services:
        running = service.start(manifest.load(name), mock_key=f"stall-{name}-{os.getpid()}")
        print(f"{name} ({running.base_url}, log {running.log})")
        try:
            for fault in faults:
                if not check(running.base_url, fault, args.seconds, args.clients):
                    failed.append(f"{name}/{fault}")
        finally:
            running.stop()
    print("FAILED: " + ", ".join(failed) if failed else "all within bounds")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
