"""What the harness measures beside the load generator: database CPU, the database connections
a service holds, and for devices-post whether every 201 became a row and a cache entry."""

from __future__ import annotations

import random
import threading
import time

import psutil

from . import infra, isolation
from .config import endpoints, settings

DB_PORTS = {"postgres": settings()["postgres"]["port"], "mariadb": settings()["mariadb"]["port"],
            "memcached": settings()["memcached"]["port"]}
CACHE_CHECK_LIMIT = 5000  # memcached keys looked up per level at most (a random sample)


class ServerCpu:
    """CPU of each shared server's process tree over a window, in % of one core."""

    def __init__(self) -> None:
        self.pids = infra.server_pids()
        self.start = {n: isolation.tree_cpu_seconds(p) for n, p in self.pids.items()}

    def percent(self, seconds: float) -> dict[str, dict]:
        out = {}
        for name, pid in self.pids.items():
            used = isolation.tree_cpu_seconds(pid) - self.start[name]
            out[name] = {"cpu_percent_of_core": 100.0 * used / seconds if seconds > 0 else None}
        return out


class HostCpu:
    """The whole machine's CPU over a level, split into the benchmark's own (service, load
    generator, database servers, this harness) and everything else: "others" is what says
    whether something outside the benchmark competed for the cores."""

    def __init__(self) -> None:
        self.t0, self.own0 = psutil.cpu_times(), _harness_cpu_seconds()

    def split(self, seconds: float, service_s: float | None, generator_s: float,
              databases: dict[str, dict]) -> dict:
        t1 = psutil.cpu_times()
        busy = (sum(t1) - sum(self.t0)) - (_idle(t1) - _idle(self.t0))
        dbs = sum((d.get("cpu_percent_of_core") or 0) / 100.0 * seconds for d in databases.values())
        own = (service_s or 0.0) + generator_s + dbs + (_harness_cpu_seconds() - self.own0)
        if seconds <= 0:
            return {"busy_cores": None, "benchmark_cores": None, "other_cores": None}
        return {"busy_cores": busy / seconds, "benchmark_cores": own / seconds,
                "other_cores": max(0.0, busy - own) / seconds}


def _idle(t) -> float:
    return t.idle + getattr(t, "iowait", 0.0)


def _harness_cpu_seconds() -> float:
    t = psutil.Process().cpu_times()
    return t.user + t.system


def connections_to_databases(pid: int) -> dict[str, int]:
    """Established TCP connections from the service's process tree to each database port."""
    counts = dict.fromkeys(DB_PORTS, 0)
    by_port = {port: name for name, port in DB_PORTS.items()}
    for p in isolation.tree(pid):
        try:
            conns = p.net_connections(kind="tcp")
        except psutil.Error:
            continue
        for c in conns:
            if c.status == psutil.CONN_ESTABLISHED and c.raddr and c.raddr.port in by_port:
                counts[by_port[c.raddr.port]] += 1
    return counts


class ConnectionSampler(threading.Thread):
    """Samples connections_to_databases every `interval` seconds during a level."""

    def __init__(self, pid: int, interval: float = 0.5):
        super().__init__(daemon=True, name=f"db-connections-{pid}")
        self.pid, self.interval = pid, interval
        self.samples: list[dict[str, int]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(connections_to_databases(self.pid))
            self._stop_event.wait(self.interval)

    def finish(self) -> dict[str, dict]:
        self._stop_event.set()
        self.join(timeout=5)
        out = {}
        for name in DB_PORTS:
            values = [s[name] for s in self.samples]
            out[name] = {"max": max(values, default=0),
                         "mean": sum(values) / len(values) if values else 0.0,
                         "samples": len(values)}
        return out


# --- devices-post: 201s vs rows vs cache keys --------------------------------------------

def _pg():
    import psycopg

    return psycopg.connect(endpoints().database_url, connect_timeout=5, autocommit=True)


def devices_max_id() -> int:
    with _pg() as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM devices").fetchone()[0]


def verify_devices(after_id: int, firmware_prefix: str, created: int, in_flight: int) -> dict:
    ttl = settings()["service"]["cache_ttl_seconds"]
    """Rows this level inserted (id above the level's starting max id, firmware carrying this
    run's prefix) and how many of their device:<uuid> keys memcached holds. Only rows younger
    than the cache TTL (less a 2 s margin) are looked up: older keys have expired by design.
    Requests still in flight when the tool's window closed (oha aborts them, k6 abandons them)
    may still be inserted by the service: consistent means 201s <= rows <= 201s + in flight.
    Records, never raises on a mismatch: the report shows it."""
    from pymemcache.client.base import Client

    out = {"status_201": created, "in_flight_at_deadline": in_flight, "rows_inserted": None,
           "consistent": None, "cache_checked": 0, "cache_found": 0, "error": None}
    try:
        with _pg() as conn:
            _wait_for_stable_count(conn, after_id, firmware_prefix)
            rows = conn.execute(
                "SELECT uuid, created_at > now() - make_interval(secs => %s) FROM devices"
                " WHERE id > %s AND firmware LIKE %s",
                (max(ttl - 2, 0), after_id, firmware_prefix + "%")).fetchall()
        out["rows_inserted"] = len(rows)
        out["consistent"] = created <= len(rows) <= created + in_flight
        fresh = [str(u) for u, young in rows if young]
        sample = fresh if len(fresh) <= CACHE_CHECK_LIMIT else random.sample(fresh, CACHE_CHECK_LIMIT)
        host, port = endpoints().memcached_addr.rsplit(":", 1)
        client = Client((host, int(port)), connect_timeout=5, timeout=5)
        try:
            for i in range(0, len(sample), 500):
                keys = [f"device:{u}" for u in sample[i:i + 500]]
                out["cache_found"] += len(client.get_multi(keys))
        finally:
            client.close()
        out["cache_checked"] = len(sample)
    except Exception as e:  # noqa: BLE001 -- a probe failure is recorded beside the numbers, not fatal
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def _wait_for_stable_count(conn, after_id: int, prefix: str, timeout: float = 3.0) -> None:
    """Let the requests abandoned at the deadline finish their INSERT before counting."""
    query = "SELECT count(*) FROM devices WHERE id > %s AND firmware LIKE %s"
    last, deadline = -1, time.monotonic() + timeout
    while time.monotonic() < deadline:
        n = conn.execute(query, (after_id, prefix + "%")).fetchone()[0]
        if n == last:
            return
        last = n
        time.sleep(0.3)


def reset_devices() -> int:
    """Empty the devices table and rewrite it compactly before a sweep: rows and index bloat
    left by earlier runs (contract suites, chaos, interrupted sweeps) make inserts slower, so
    devices-post would measure the database's history instead of the stack."""
    with _pg() as conn:
        deleted = conn.execute("DELETE FROM devices").rowcount
        conn.execute("VACUUM (FULL, ANALYZE) devices")
        return deleted


def delete_bench_devices(firmware_prefix: str) -> int:
    """Remove the rows this run inserted so the table is the same size for every service, and
    vacuum now: otherwise autovacuum cleans up to a million dead rows during the next
    scenario, which then pays for the previous service's speed."""
    with _pg() as conn:
        deleted = conn.execute("DELETE FROM devices WHERE firmware LIKE %s",
                               (firmware_prefix + "%",)).rowcount
        conn.execute("VACUUM (ANALYZE) devices")
        return deleted
