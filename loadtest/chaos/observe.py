"""What the chaos run reads besides HTTP answers: the service process's resources, its
Prometheus counters, and the databases and cache themselves."""

from __future__ import annotations

import re
import threading

import httpx
import psutil

from .. import isolation
from ..config import endpoints, settings


def process_resources(pid: int) -> dict[str, int]:
    """Open file descriptors, TCP connections and threads of the service's process tree."""
    fds = conns = threads = rss = 0
    for p in isolation.tree(pid):
        try:
            fds += p.num_fds()
            conns += len(p.net_connections(kind="tcp"))
            threads += p.num_threads()
            rss += p.memory_info().rss
        except psutil.Error:
            continue
    return {"fds": fds, "tcp_connections": conns, "threads": threads, "rss_bytes": rss}


class RssPeak(threading.Thread):
    """Samples the tree's RSS every `interval` s and keeps the peak, until finish()."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True, name=f"chaos-rss-{pid}")
        self.pid, self.interval, self.peak, self.samples = pid, interval, 0, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, isolation.tree_rss(self.pid))
            self.samples += 1
            self._done.wait(self.interval)

    def finish(self) -> int:
        self._done.set()
        self.join(5)
        return self.peak


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


OPS = [("insert", "postgres"), ("set", "memcache"), ("select", "postgres"), ("get", "external"),
       ("mix", "mysql")]  # the label pairs CONTRACT.md requires


def metrics_text(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=5).text


def metric(base_url: str, name: str, **labels: str) -> float | None:
    """One sample of /metrics (e.g. app_op_errors_total{op="set",db="memcache"}), or None."""
    return parse_metric(metrics_text(base_url), name, **labels)


def parse_metric(text: str, name: str, **labels: str) -> float | None:
    """The first sample of `name` whose labels include `labels` (Prometheus text format)."""
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and m["name"] == name and dict(_LABEL.findall(m["labels"] or "")).items() >= labels.items():
            return float(m["value"])
    return None


def set_mock(key: str, **behaviour) -> None:
    """The external mock's behaviour for one key (CONTRACT.md, "The external mock")."""
    body = {"delay_ms": 0, "status": 200, "body": "json", **behaviour}
    httpx.put(f"{endpoints().external_base}/control/{key}", json=body, timeout=5).raise_for_status()


def reset_mock(key: str) -> None:
    httpx.delete(f"{endpoints().external_base}/control/{key}", timeout=5)


def pg():
    import psycopg

    return psycopg.connect(endpoints().database_url, connect_timeout=5, autocommit=True)


def mysql():
    import pymysql

    s = settings()["mariadb"]
    return pymysql.connect(host=s["host"], port=s["port"], user=s["user"], password=s["password"],
                           database=s["database"], autocommit=True, connect_timeout=5)


def memcache():
    from pymemcache.client.base import Client

    host, port = endpoints().memcached_addr.rsplit(":", 1)
    return Client((host, int(port)), connect_timeout=5, timeout=5)


def mix_items_count() -> int:
    conn = mysql()
    with conn, conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM mix_items")
        return cur.fetchone()[0]
