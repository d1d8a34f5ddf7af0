"""The Docker Engine API, as much of it as `sweep --runtime compose` needs: ping, inspect, stats.

httpx speaks HTTP over the engine's Unix socket (/var/run/docker.sock, or DOCKER_HOST=unix://…),
so no SDK is needed. The figures follow `docker stats` where it has one (memory without the
inactive page cache) and are exact where it is not precise enough for a benchmark: CPU is the
cumulative `cpu_usage.total_usage` over the wall-clock between two samples, not `docker stats`'
one-second percentage of the whole machine.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from ..core.errors import InfraError
from ..core.sampler import Counts, Peaks

DEFAULT_HOST = "unix:///var/run/docker.sock"


def engine_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def socket_path(host: str) -> str:
    if not host.startswith("unix://"):
        # The stats are of containers on this machine, next to the pinned load generator.
        raise InfraError(f"DOCKER_HOST={host}: --runtime compose needs a local engine on a "
                         "unix:// socket")
    return host.removeprefix("unix://")


def no_engine_message(host: str, reason: str) -> str:
    return (f"--runtime compose: no Docker engine at {host} ({reason}). It needs Docker Engine "
            "with Compose v2.20+ (docs/containers.md). To measure natively instead, run the same "
            "command without --runtime compose (--runtime native, each service in a cgroup, is "
            "the default)")


class Engine:
    """A client of one engine. Not shared between threads: each sampler opens its own."""

    def __init__(self, host: str | None = None, timeout: float = 10.0):
        self.host = host or engine_host()
        transport = httpx.HTTPTransport(uds=socket_path(self.host))
        # The host part of the URL is ignored over a Unix socket.
        self.client = httpx.Client(transport=transport, base_url="http://docker", timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def ping(self) -> None:
        """Raise InfraError saying how to run natively when no engine answers."""
        path = socket_path(self.host)
        if not Path(path).exists():
            raise InfraError(no_engine_message(self.host, f"{path} does not exist"))
        try:
            self.client.get("/_ping").raise_for_status()
        except httpx.HTTPError as e:
            raise InfraError(no_engine_message(self.host, f"{type(e).__name__}: {e}")) from e

    def inspect(self, container: str) -> dict:
        return self._get(f"/containers/{container}/json")

    def stats(self, container: str) -> dict:
        """One sample. one-shot: no wait for the second sample `precpu_stats` needs (unused)."""
        return self._get(f"/containers/{container}/stats", stream="false", **{"one-shot": "true"})

    def _get(self, path: str, **params: str) -> dict:
        try:
            r = self.client.get(path, params=params)
            r.raise_for_status()
        except httpx.HTTPError as e:
            raise InfraError(f"Docker engine at {self.host}: GET {path}: {e}") from e
        return r.json()


def connect(host: str | None = None) -> Engine:
    engine = Engine(host)
    try:
        engine.ping()
    except InfraError:
        engine.close()
        raise
    return engine


# --- figures from documents: pure, tested on recorded Engine API answers --------------------

@dataclass(frozen=True)
class CpuSample:
    usage_ns: int  # cpu_stats.cpu_usage.total_usage, cumulative since the container started
    periods: int  # throttling_data: CFS periods that had runnable tasks
    throttled_periods: int  # ... in which the quota ran out
    throttled_ns: int
    read_ns: int  # when the engine read the sample ("read"), ns since the epoch
    user_ns: int | None = None  # cpu_usage.usage_in_usermode / usage_in_kernelmode
    system_ns: int | None = None


_READ = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def read_ns(text: str) -> int:
    """RFC 3339 with up to nanoseconds (the engine's "read"), which datetime cannot parse whole."""
    m = _READ.fullmatch(text)
    if not m:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    seconds = datetime.fromisoformat(m.group(1) + m.group(3).replace("Z", "+00:00")).timestamp()
    return int(seconds) * 1_000_000_000 + int((m.group(2) or "0").ljust(9, "0")[:9])


def cpu_sample(stats: dict) -> CpuSample:
    cpu = stats["cpu_stats"]
    t = cpu.get("throttling_data") or {}
    usage = cpu["cpu_usage"]
    return CpuSample(usage["total_usage"], t.get("periods", 0), t.get("throttled_periods", 0),
                     t.get("throttled_time", 0), read_ns(stats["read"]),
                     usage.get("usage_in_usermode"), usage.get("usage_in_kernelmode"))


def cpu_figures(c0: CpuSample | None, c1: CpuSample | None, quota_cores: float | None) -> dict:
    """A level's service_cpu: mean use over the wall-clock between the samples, % of the quota."""
    wall_s = (c1.read_ns - c0.read_ns) / 1e9 if c0 and c1 else 0.0
    if wall_s <= 0:
        return {"percent_of_quota": None, "usage_s": None, "nr_periods": None,
                "nr_throttled": None, "throttled_s": None, "source": "none"}
    usage_s = (c1.usage_ns - c0.usage_ns) / 1e9
    return {
        "percent_of_quota": 100.0 * usage_s / wall_s / quota_cores if quota_cores else None,
        "usage_s": usage_s,
        "nr_periods": c1.periods - c0.periods,
        "nr_throttled": c1.throttled_periods - c0.throttled_periods,
        "throttled_s": (c1.throttled_ns - c0.throttled_ns) / 1e9,
        "user_s": None if c0.user_ns is None or c1.user_ns is None else (c1.user_ns - c0.user_ns) / 1e9,
        "system_s": None if c0.system_ns is None or c1.system_ns is None else (c1.system_ns - c0.system_ns) / 1e9,
        "source": "docker-engine",
        "quota_cores": quota_cores,
        "window_s": wall_s,
    }


def quota_cores(inspect: dict) -> float | None:
    """The container's CPU limit: `cpus:` / deploy limits set NanoCpus; --cpu-quota sets CpuQuota."""
    hc = inspect.get("HostConfig") or {}
    if hc.get("NanoCpus"):
        return hc["NanoCpus"] / 1e9
    if (hc.get("CpuQuota") or 0) > 0:
        return hc["CpuQuota"] / (hc.get("CpuPeriod") or 100_000)
    return None


def memory_limit(inspect: dict) -> int | None:
    return (inspect.get("HostConfig") or {}).get("Memory") or None  # 0 = unlimited


def memory_usage(stats: dict) -> int | None:
    """The cgroup's usage, page cache included (memory.usage_in_bytes on v1, memory.current on
    v2): what the native runtime records as current_bytes. None when the container does not run."""
    return (stats.get("memory_stats") or {}).get("usage")


def working_set(stats: dict) -> int | None:
    """`docker stats`' MEM USAGE: the usage less the inactive page cache (cgroup v1 reports it as
    total_inactive_file, v2 as inactive_file), as docker's CLI computes it."""
    usage = memory_usage(stats)
    if usage is None:
        return None
    st = stats["memory_stats"].get("stats") or {}
    if "total_inactive_file" in st and st["total_inactive_file"] < usage:
        return usage - st["total_inactive_file"]
    if st.get("inactive_file", 0) < usage:
        return usage - st.get("inactive_file", 0)
    return usage


# --- samplers ------------------------------------------------------------------------------

def memory_sampler(host: str, container: str, interval: float = 0.5) -> Peaks:
    """The peaks of memory_usage() ("usage") and working_set() ("working_set") over a level
    (the engine keeps no resettable peak: v1's max_usage covers the container's life, v2 has
    none). The sampler has its own connection: an Engine is not shared between threads."""
    engine = Engine(host)

    def read() -> dict[str, int | None]:
        try:
            return memory_figures(engine.stats(container))
        except InfraError:
            return {}  # the container went away: alive() reports it

    return Peaks(read, interval, name=f"engine-memory-{container[:12]}")


def memory_figures(stats: dict) -> dict[str, int | None]:
    return {"usage": memory_usage(stats), "working_set": working_set(stats)}


class ServerCpu:
    """probes.ServerCpu for containers: each server's CPU over a level, % of one core."""

    def __init__(self, engine: Engine, containers: dict[str, str]):
        self.engine, self.containers = engine, containers
        self.start = {name: self._sample(cid) for name, cid in containers.items()}

    def _sample(self, container: str) -> CpuSample | None:
        try:
            return cpu_sample(self.engine.stats(container))
        except (InfraError, KeyError, ValueError):
            return None

    def percent(self, seconds: float) -> dict[str, dict]:
        """`seconds` is the generator's window; the engine's samples carry their own times."""
        out = {}
        for name, cid in self.containers.items():
            c0, c1 = self.start[name], self._sample(cid)
            figures = cpu_figures(c0, c1, 1.0)
            out[name] = {"cpu_percent_of_core": figures["percent_of_quota"]}
        return out


def established_by_remote_port(proc_net_tcp: str) -> Counter[int]:
    """Established connections per remote port, from a /proc/<pid>/net/tcp{,6} table."""
    counts: Counter[int] = Counter()
    for line in proc_net_tcp.splitlines():
        fields = line.split()  # sl local_address rem_address st ...; the header's st is "st"
        if len(fields) > 3 and fields[3] == "01":  # TCP_ESTABLISHED
            counts[int(fields[2].rsplit(":", 1)[1], 16)] += 1
    return counts


def container_connections(pid: int, ports: dict[str, int], interval: float = 0.5) -> Counts:
    """Connections held by a container's service, per server: its network namespace holds only
    the service, so /proc/<its pid>/net/tcp lists exactly the service's sockets, to the servers'
    ports inside the compose network (not the host ports psutil would look for)."""

    def read() -> dict[str, int] | None:
        try:
            text = "".join(Path(f"/proc/{pid}/net/{t}").read_text() for t in ("tcp", "tcp6"))
        except OSError:
            return None
        counts = established_by_remote_port(text)
        return {name: counts[port] for name, port in ports.items()}

    return Counts(read, ports, interval, name=f"container-connections-{pid}")
