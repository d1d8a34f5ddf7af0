"""A link's round trip, measured the way the parts will use it: TCP, through the kernel's stack.

An echo server runs in one host's namespace and a client in the other's; the client times
`count` one-byte round trips over one connection (Nagle off) and reports the median. The same
measurement is taken before the delay is applied (the floor: the stack, the veths, the bridge
and the two Python processes) and after it, and the difference is what a profile promises.

Run as `python -m loadtest.topology.rtt echo ADDRESS` / `ping ADDRESS PORT COUNT` (netns.py
starts both under `ip netns exec`)."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

from .spec import TopologyError

MODULE = "loadtest.topology.rtt"
TOLERANCE = 0.2  # a link whose added round trip is off its profile's by more fails the run
WARMUP = 20


@dataclass(frozen=True)
class LinkRtt:
    """One link's measured round trip, before (floor) and after the profile's delay."""

    a: str
    b: str
    floor_ms: float
    rtt_ms: float
    target_ms: float

    @property
    def added_ms(self) -> float:
        return self.rtt_ms - self.floor_ms

    def within(self, tolerance: float = TOLERANCE) -> bool:
        """Whether the added round trip is the profile's, give or take `tolerance` of it; a
        profile with no delay (loopback) promises nothing to hold it to."""
        return not self.target_ms or abs(self.added_ms - self.target_ms) <= tolerance * self.target_ms

    def record(self) -> dict:
        return {"a": self.a, "b": self.b, "floor_ms": round(self.floor_ms, 4),
                "rtt_ms": round(self.rtt_ms, 4), "added_ms": round(self.added_ms, 4),
                "target_ms": self.target_ms}


def check(links: list[LinkRtt], tolerance: float = TOLERANCE) -> None:
    off = [f"{link.a}-{link.b} added {link.added_ms:.3f} ms (floor {link.floor_ms:.3f}, "
           f"measured {link.rtt_ms:.3f})" for link in links if not link.within(tolerance)]
    if off:
        target = links[0].target_ms
        raise TopologyError(f"round trip off the profile's {target} ms by more than "
                            f"{tolerance:.0%}: {'; '.join(off)}. A busy machine (or a kernel "
                            "timer too coarse for the delay) does this; measure on a quiet one")


def measure(client_argv: list[str], server_argv: list[str], address: str, count: int = 200,
            timeout: float = 30.0) -> float:
    """The median TCP round trip in ms from a client to an echo server at `address`, each
    started with its own argv prefix (e.g. ["ip", "netns", "exec", "wsb-main-generator"])."""
    server = subprocess.Popen([*server_argv, sys.executable, "-m", MODULE, "echo", address],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = server.stdout.readline().strip()
        if not port.isdigit():
            server.kill()
            raise TopologyError(f"the echo server on {address} did not start: "
                                f"{server.communicate()[1].strip()[-300:]}")
        out = subprocess.run([*client_argv, sys.executable, "-m", MODULE, "ping", address, port,
                              str(count)], capture_output=True, text=True, timeout=timeout,
                             check=False)
        if out.returncode:
            raise TopologyError(f"no round trip to {address}:{port}: {out.stderr.strip()[-300:]}")
        return json.loads(out.stdout)["median_ms"]
    except subprocess.TimeoutExpired:
        raise TopologyError(f"the round trips to {address} took over {timeout:.0f} s") from None
    finally:
        server.kill()
        server.wait()


def _echo(address: str, wait: float = 20.0) -> None:
    with socket.create_server((address, 0)) as listener:
        print(listener.getsockname()[1], flush=True)
        listener.settimeout(wait)
        conn, _ = listener.accept()
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while data := conn.recv(64):
                conn.sendall(data)


def _ping(address: str, port: int, count: int) -> dict:
    with socket.create_connection((address, port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        samples = []
        for i in range(WARMUP + count):
            start = time.perf_counter_ns()
            conn.sendall(b"x")
            if not conn.recv(64):
                raise ConnectionError("the echo server closed the connection")
            if i >= WARMUP:
                samples.append((time.perf_counter_ns() - start) / 1e6)
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "count": count}


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo"] and len(sys.argv) == 3:
        _echo(sys.argv[2])
    elif sys.argv[1:2] == ["ping"] and len(sys.argv) == 5:
        print(json.dumps(_ping(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        sys.exit(f"usage: python -m {MODULE} echo ADDRESS | ping ADDRESS PORT COUNT")
