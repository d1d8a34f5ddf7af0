"""What the harness measures on the machine beside the load generator: the shared servers'
CPU, the whole host's CPU split into the benchmark's own and everything else, and the
database connections a service holds."""

from __future__ import annotations

import psutil

from ..core.config import settings
from ..core.sampler import Counts
from ..servers import infra, procs

DATABASES = ("postgres", "mariadb", "memcached")


class ServerCpu:
    """CPU of each shared server's process tree over a window, in % of one core."""

    def __init__(self) -> None:
        self.pids = infra.server_pids()
        self.start = {n: procs.tree_cpu_seconds(p) for n, p in self.pids.items()}

    def percent(self, seconds: float) -> dict[str, dict]:
        out = {}
        for name, pid in self.pids.items():
            used = procs.tree_cpu_seconds(pid) - self.start[name]
            out[name] = {"cpu_percent_of_core": 100.0 * used / seconds if seconds > 0 else None}
        return out


class HostCpu:
    """The whole machine's CPU over a level, split into the benchmark's own (service, load
    generator, database servers, this harness) and everything else: "others" is what says
    whether something outside the benchmark competed for the cores."""

    def __init__(self) -> None:
        self.t0, self.own0 = psutil.cpu_times(), _harness_cpu_seconds()

    def split(self, seconds: float, service_s: float | None, generator_s: float,
              databases: dict[str, dict], idle_services_s: float | None = None) -> dict:
        """Cores busy over the level: all of them, the benchmark's own (the idle services
        included), everything else; and the hypervisor's steal in % of the elapsed CPU time."""
        t1 = psutil.cpu_times()
        total = sum(t1) - sum(self.t0)
        busy = total - (_idle(t1) - _idle(self.t0))
        dbs = sum((d.get("cpu_percent_of_core") or 0) / 100.0 * seconds for d in databases.values())
        own = ((service_s or 0.0) + generator_s + dbs + (idle_services_s or 0.0)
               + (_harness_cpu_seconds() - self.own0))
        steal = getattr(t1, "steal", 0.0) - getattr(self.t0, "steal", 0.0)
        if seconds <= 0:
            return {"busy_cores": None, "benchmark_cores": None, "other_cores": None, "steal_percent": None}
        return {"busy_cores": busy / seconds, "benchmark_cores": own / seconds,
                "other_cores": max(0.0, busy - own) / seconds,
                "steal_percent": 100.0 * steal / total if total > 0 else None}


def _idle(t) -> float:
    return t.idle + getattr(t, "iowait", 0.0)


def _harness_cpu_seconds() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def connections_to_databases(pid: int) -> dict[str, int]:
    """Established TCP connections from the service's process tree to each database port."""
    by_port = {settings()[name]["port"]: name for name in DATABASES}
    counts = dict.fromkeys(DATABASES, 0)
    for p in procs.tree(pid):
        try:
            conns = p.net_connections(kind="tcp")
        except psutil.Error:
            continue
        for c in conns:
            if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port in by_port:
                counts[by_port[c.raddr.port]] += 1
    return counts


def connection_sampler(pid: int, interval: float = 0.5) -> Counts:
    """connections_to_databases every `interval` s during a level."""
    return Counts(lambda: connections_to_databases(pid), DATABASES, interval,
                  name=f"db-connections-{pid}")
