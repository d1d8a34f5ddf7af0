""""Nothing lost" after a fault run of devices-post: every 201 is a row with the answered id
and uuid and a cache entry with the answered JSON; no row exists that the client was not told
about.

Each request of a run carries a unique firmware (the run's tag + a counter), so every row the
run inserted is matched to exactly one request, answered or not. Exceptions the fault explains
are counted separately, never silently: 201s whose cache set the fault prevented (memcached was
down), and rows of requests the fault cut before an answer arrived (no HTTP status)."""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from collections.abc import Sequence

from .. import databases
from .base import Answered

PROBLEMS = ("lost_201", "phantom_rows", "unknown_rows", "corrupt_rows", "cache_missing", "cache_mismatch")


def check(answered: Sequence[Answered], tag: str, cache_exempt_before: float | None = None,
          cut_between: tuple[float, float] | None = None) -> dict:
    """cache_exempt_before: 201s whose request started before this moment (memcached down or
    still reconnecting) may lack their key; they are counted in cache_missing_by_fault.
    cut_between: while the fault struck (e.g. PostgreSQL shutting down), a request can commit
    and lose its connection before the service reads the commit's answer: it answers 503 yet
    the row exists. Such rows of requests in flight then are counted as cut, not phantom."""
    rows = _rows(tag)
    by_firmware = {s.sent["firmware"]: s for s in answered if s.sent}
    out = {"requests": len(answered), "status_201": sum(1 for s in answered if s.status == 201),
           "rows": len(rows),
           "lost_201": 0,            # 201 without its row (or with another id/uuid)
           "phantom_rows": 0,        # a row for a request answered with an error status
           "unknown_rows": 0,        # a row matching no request of the run
           "cut_rows": 0,            # a row for a request cut without an answer (allowed)
           "corrupt_rows": 0,        # a row whose mac/firmware/timestamps differ from the request
           "cache_checked": 0, "cache_missing": 0, "cache_mismatch": 0,
           "cache_missing_by_fault": 0,
           "last_cache_miss_start": None}  # monotonic start of the latest 201 without its key
    cache = databases.memcached()
    try:
        for s in answered:
            if s.status != 201 or not s.answer:
                continue
            row = rows.get(s.sent["firmware"])
            if row is None or row["id"] != s.answer.get("id") or row["uuid"] != str(s.answer.get("uuid")).lower():
                out["lost_201"] += 1
            exempt = cache_exempt_before is not None and s.start < cache_exempt_before
            raw = cache.get(f"device:{s.answer.get('uuid')}")
            if raw is None:
                out["cache_missing_by_fault" if exempt else "cache_missing"] += 1
                out["last_cache_miss_start"] = max(out["last_cache_miss_start"] or s.start, s.start)
            elif json.loads(raw) != s.answer:
                out["cache_mismatch"] += 1
            if not exempt:
                out["cache_checked"] += 1
    finally:
        cache.close()
    for firmware, row in rows.items():
        s = by_firmware.get(firmware)
        if s is None:
            out["unknown_rows"] += 1
            continue
        if s.status is None or (s.status != 201 and _in_flight(s, cut_between)):
            out["cut_rows"] += 1
        elif s.status != 201:
            out["phantom_rows"] += 1
        if not _row_matches(row, s.sent):
            out["corrupt_rows"] += 1
    out["ok"] = not any(out[k] for k in PROBLEMS)
    return out


def cached(uuid: str) -> bool:
    """memcached holds device:<uuid>."""
    client = databases.memcached()
    try:
        return client.get(f"device:{uuid}") is not None
    finally:
        client.close()


def words(check: dict) -> str:
    problems = [f"{check[k]} {k.replace('_', ' ')}" for k in PROBLEMS if check[k]]
    cut = f" ({check['cut_rows']} rows of cut requests)" if check["cut_rows"] else ""
    return ("nothing lost" if not problems else ", ".join(problems)) + cut


def _rows(tag: str, settle: float = 3.0) -> dict[str, dict]:
    """The run's rows by firmware, once their count is stable (a request abandoned by the
    client may still be finishing its INSERT)."""
    query = ("SELECT id, uuid::text, mac, firmware, created_at = updated_at FROM devices"
             " WHERE firmware LIKE %s")
    pattern = tag.replace("%", r"\%").replace("_", r"\_") + "%"
    last, deadline = None, time.monotonic() + settle
    with databases.postgres() as conn:
        while True:
            rows = conn.execute(query, (pattern,)).fetchall()
            if len(rows) == last or time.monotonic() > deadline:
                break
            last = len(rows)
            time.sleep(0.5)
    return {r[3]: {"id": r[0], "uuid": r[1], "mac": r[2], "same_times": r[4]} for r in rows}


def _in_flight(s: Answered, window: tuple[float, float] | None) -> bool:
    return window is not None and s.start <= window[1] and s.end >= window[0]


def _row_matches(row: dict, sent: dict) -> bool:
    try:
        uuidlib.UUID(row["uuid"])
    except ValueError:
        return False
    return row["mac"] == sent["mac"] and row["same_times"]
