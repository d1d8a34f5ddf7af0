"""POST /api/devices: a PostgreSQL INSERT plus a memcached set (FastAPI vs Go).

Every body carries the run's firmware prefix, so the harness finds its own rows: after each
level it checks that every 201 became a row and a cache entry, and after each service it deletes
them, so every service inserts into a table of the same size."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Sequence
from pathlib import Path

from ..core.config import settings
from ..core.formatting import fmt
from ..servers import databases
from . import devices_post_writes
from .base import Answered, LevelContext, Scenario

BODIES_IN_FILE = 10_000
CACHE_CHECK_LIMIT = 5000  # memcached keys looked up per level at most (a random sample)


def device_body(rng: random.Random, firmware: str) -> dict:
    """A valid body: a random MAC and the given firmware (which carries the run's prefix)."""
    return {"mac": "-".join(f"{b:02X}" for b in rng.randbytes(6)), "firmware": firmware}


def write_bodies(path: Path, firmware_prefix: str, count: int = BODIES_IN_FILE, seed: int = 1) -> Path:
    """Distinct bodies, one per line, for `oha -Z` (a random line per request). Repeats are
    harmless: the service generates the uuid, so every request inserts its own row whatever the
    body; distinct bodies only rule out a cache keyed on the body."""
    rng = random.Random(seed)
    lines = [json.dumps(device_body(rng, f"{firmware_prefix}{i}.{rng.randrange(1000)}"),
                        separators=(",", ":")) for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


class DevicesPost(Scenario):
    def body_file(self, workdir: Path, firmware_prefix: str) -> Path:
        path = workdir / "device-bodies.txt"
        return path if path.exists() else write_bodies(path, firmware_prefix)

    def request_body(self, tag: str, n: int) -> dict:
        return device_body(random.Random(), f"{tag}{n}")

    def before_run(self, ctx: LevelContext) -> dict:
        return {"devices_rows_reset": reset_table()}

    def before_level(self, ctx: LevelContext) -> int:
        with databases.postgres() as conn:
            return conn.execute("SELECT COALESCE(MAX(id), 0) FROM devices").fetchone()[0]

    def after_level(self, ctx: LevelContext, state: object, counts: dict) -> dict:
        """Check the level's rows, then delete them: every level, of every service and round,
        inserts into a table of the same size."""
        check = verify(int(state), ctx.firmware_prefix, counts["status_codes"].get("201", 0),
                       counts["aborted_at_deadline"])
        delete_rows(ctx.firmware_prefix)
        return check

    def check_title(self) -> str:
        return ("**Data check**: 201 responses vs rows inserted vs memcached keys found (rows may "
                "exceed the 201s by requests aborted at the deadline; keys are looked up for rows "
                "younger than the cache TTL)")

    def check_header(self) -> list[str]:
        return ["201", "in flight", "rows", "cache found/checked", "consistent", "probe error"]

    def check_cells(self, d: dict) -> list[str]:
        return [str(d["status_201"]), str(d["in_flight_at_deadline"]), fmt(d["rows_inserted"]),
                f"{d['cache_found']}/{d['cache_checked']}",
                {True: "yes", False: "**NO**"}.get(d["consistent"], "–"), d.get("error") or ""]

    def after_scenario(self, ctx: LevelContext) -> None:
        delete_rows(ctx.firmware_prefix)

    def idempotency_key(self, body: dict | None) -> str | None:
        return body["firmware"] if body else None  # unique per request of a fault run

    def check_writes(self, answered: Sequence[Answered], tag: str, state: object,
                     cache_exempt_before: float | None = None) -> dict:
        return devices_post_writes.check(answered, tag, cache_exempt_before)

    def forget_writes(self, tag: str) -> None:
        delete_rows(tag)  # the tag is made of letters, digits and dashes

    def cached(self, answer: dict) -> bool:
        return devices_post_writes.cached(str(answer.get("uuid")))

    def writes_words(self) -> str:
        return ("every key answered 201 has exactly one row, none answered only 503 has one, no "
                "attempt answered 503 inserted its row, no 5xx carries driver text")

    def check_words(self, check: dict) -> str:
        return devices_post_writes.words(check)


DEVICES_POST = DevicesPost("devices-post", "POST", "/api/devices", 201,
                           summary="INSERT into PostgreSQL + memcached set (FastAPI vs Go)",
                           writes=("postgres", "memcached"))


def verify(after_id: int, firmware_prefix: str, created: int, in_flight: int) -> dict:
    """Rows this level inserted (id above the level's starting max id, firmware carrying this
    run's prefix) and how many of their device:<uuid> keys memcached holds. Only rows younger
    than the cache TTL (less a 2 s margin) are looked up: older keys have expired by design.
    Requests still in flight when the tool's window closed may still be inserted by the
    service: consistent means 201s <= rows <= 201s + in flight. Records, never raises."""
    out = {"status_201": created, "in_flight_at_deadline": in_flight, "rows_inserted": None,
           "consistent": None, "cache_checked": 0, "cache_found": 0, "error": None}
    ttl = settings()["service"]["cache_ttl_seconds"]
    try:
        with databases.postgres() as conn:
            _wait_for_stable_count(conn, after_id, firmware_prefix)
            rows = conn.execute(
                "SELECT uuid, created_at > now() - make_interval(secs => %s) FROM devices"
                " WHERE id > %s AND firmware LIKE %s",
                (max(ttl - 2, 0), after_id, firmware_prefix + "%")).fetchall()
        out["rows_inserted"] = len(rows)
        out["consistent"] = created <= len(rows) <= created + in_flight
        fresh = [str(u) for u, young in rows if young]
        sample = fresh if len(fresh) <= CACHE_CHECK_LIMIT else random.sample(fresh, CACHE_CHECK_LIMIT)
        out["cache_found"] = _cached(sample)
        out["cache_checked"] = len(sample)
    except Exception as e:  # noqa: BLE001 -- a probe failure is recorded beside the numbers, not fatal
        out["error"] = f"{type(e).__name__}: {e}"
    return out


def _cached(uuids: list[str]) -> int:
    client = databases.memcached()
    try:
        return sum(len(client.get_multi([f"device:{u}" for u in uuids[i:i + 500]]))
                   for i in range(0, len(uuids), 500))
    finally:
        client.close()


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


def reset_table() -> int:
    """Empty the devices table and rewrite it compactly before a sweep: rows and index bloat
    left by earlier runs (contract suites, chaos, interrupted sweeps) make inserts slower, so
    devices-post would measure the database's history instead of the stack."""
    with databases.postgres() as conn:
        deleted = conn.execute("DELETE FROM devices").rowcount
        conn.execute("VACUUM (FULL, ANALYZE) devices")
        return deleted


def delete_rows(firmware_prefix: str) -> int:
    """Remove the rows with this prefix and vacuum now: otherwise autovacuum cleans up to a
    million dead rows during the next scenario, which then pays for this one's speed."""
    with databases.postgres() as conn:
        deleted = conn.execute("DELETE FROM devices WHERE firmware LIKE %s",
                               (firmware_prefix + "%",)).rowcount
        conn.execute("VACUUM (ANALYZE) devices")
        return deleted
