"""What the chaos run reads besides HTTP answers: the service process's resources, its
Prometheus counters (parsed by prometheus_client), and its RSS peak under overload."""

from __future__ import annotations

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

from ..core.sampler import Peaks
from ..servers import procs

OPS = [("insert", "postgres"), ("set", "memcache"), ("select", "postgres"), ("get", "external"),
       ("mix", "mysql")]  # the label pairs CONTRACT.md requires


def process_resources(pid: int) -> dict[str, int]:
    """Open file descriptors, TCP connections and threads of the service's process tree."""
    fds = conns = threads = rss = 0
    for p in procs.tree(pid):
        try:
            fds += p.num_fds()
            conns += len(p.net_connections(kind="tcp"))
            threads += p.num_threads()
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return {"fds": fds, "tcp_connections": conns, "threads": threads, "rss_bytes": rss}


def rss_peak(pid: int, interval: float = 0.2) -> Peaks:
    """The peak RSS of the service's tree (peaks["rss"]) between start() and stop()."""
    return Peaks(lambda: {"rss": procs.tree_rss(pid)}, interval, name=f"chaos-rss-{pid}")


def metrics_text(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=5).text


def metric(base_url: str, name: str, **labels: str) -> float | None:
    """One sample of /metrics (e.g. app_op_errors_total{op="set",db="memcache"}), or None."""
    return parse_metric(metrics_text(base_url), name, **labels)


def parse_metric(text: str, name: str, **labels: str) -> float | None:
    """The first sample named `name` whose labels include `labels` (Prometheus text format)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels.items() >= labels.items():
                return float(sample.value)
    return None
