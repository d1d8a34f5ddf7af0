""""Nothing lied, nothing lost" after a fault run of devices-post, judged key by key.

Every request of a fault run carries a unique firmware, sent as its Idempotency-Key too, and the
load retries every answer that is neither 201 nor a definite failure with the same key; a 503 is
retried as well (a client would), and the last answer of each key is its outcome. As in Jepsen,
every operation is then ok (some attempt answered 201), failed (every attempt answered 503) or
unresolved (some answered 504 or nothing, and the keyed retry after the load did not settle it),
and each class is checked against PostgreSQL:

- ok: exactly one row, with the id and uuid every 201 of the key answered, and its cache entry;
- failed: no row;
- unresolved: a failure of itself (the service did not answer a retry once the fault was over);
- any key: never two rows (a duplicate), and the row's created_at, which the service stamps when
  it handles an attempt, never falls in an attempt answered 503: that 503 said "not written" of
  a write that happened (a phantom 503), even if a retry then found the row;
- a 201 without its JSON body, a row of no request of the run, a row that is not the request's
  data, and a 5xx whose detail carries driver text are failures too.
Rows are read until their count has been stable for a while: a frozen server commits what it
had received when it resumes."""

from __future__ import annotations

import json
import time
import uuid as uuidlib
from collections import defaultdict
from collections.abc import Sequence

from ..core.error_details import driver_text
from ..servers import databases
from .base import Answered

PROBLEMS = ("lost_201", "duplicate_rows", "phantom_503", "failed_with_row", "unresolved_keys", "unknown_rows",
            "corrupt_rows", "created_without_body", "driver_text", "cache_missing", "cache_mismatch")
STABLE_S = 2.0  # the row count unchanged this long counts as final...
SETTLE_LIMIT_S = 15.0  # ...read at most this long after the load stopped
CLOCK_SLACK_S = 0.005  # created_at has millisecond precision


def check(answered: Sequence[Answered], tag: str, cache_exempt_before: float | None = None) -> dict:
    """The judgement of a run's attempts against its rows in PostgreSQL and memcached.
    cache_exempt_before: 201s whose request started before this moment (memcached down or still
    reconnecting) may lack their key; they are counted in cache_missing_by_fault."""
    out = judge(answered, _rows(tag))
    cache = databases.memcached()
    try:
        for s in _final_201s(answered):
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
    out["ok"] = not any(out[k] for k in PROBLEMS)
    return out


def judge(answered: Sequence[Answered], rows: list[dict]) -> dict:
    """Pure: the attempts, grouped by key, against the rows (each {id, uuid, mac, firmware,
    created_at (epoch seconds), same_times}). Cache counters are left at zero."""
    attempts: dict[str, list[Answered]] = defaultdict(list)
    for s in answered:
        if s.sent:
            attempts[s.key or s.sent["firmware"]].append(s)
    by_key: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_key[row["firmware"]].append(row)
    out = {"requests": len(answered), "keys": len(attempts), "rows": len(rows),
           "retries": len(answered) - len(attempts),
           "status_201": sum(1 for s in answered if s.status == 201),
           "ok_keys": 0, "failed_keys": 0,
           "unknown_keys": 0,         # keys with an attempt answered 504 or nothing (noted)
           "unresolved_keys": 0,      # keys neither created nor failed after the keyed retries
           "lost_201": 0,             # a key answered 201 without exactly its row
           "duplicate_rows": 0,       # rows beyond the first of a key
           "phantom_503": 0,          # a row inserted by an attempt answered 503
           "failed_with_row": 0,      # a key answered only 503 that has a row
           "unknown_rows": 0,         # a row of no request of the run
           "corrupt_rows": 0,         # a row whose mac/timestamps are not the request's
           "created_without_body": 0,  # a 201 without its JSON body
           "driver_text": 0,          # a 5xx whose detail is not a fixed phrase
           "unattributed_rows": 0,    # a row whose created_at is in no attempt of its key (noted)
           "cache_checked": 0, "cache_missing": 0, "cache_mismatch": 0, "cache_missing_by_fault": 0,
           "last_cache_miss_start": None}  # monotonic start of the latest 201 without its key
    for s in answered:
        if s.status == 201 and not s.answer:
            out["created_without_body"] += 1
        if s.status is not None and s.status >= 500 and driver_text(s.detail) is not None:
            out["driver_text"] += 1
    for key, tries in attempts.items():
        tries.sort(key=lambda s: s.start)
        mine = by_key.pop(key, [])
        out["unknown_keys"] += any(s.status is None or s.status == 504 for s in tries)
        out["duplicate_rows"] += max(0, len(mine) - 1)
        created = [s for s in tries if s.status == 201 and s.answer]
        if created:
            out["ok_keys"] += 1
            ids = {(s.answer.get("id"), str(s.answer.get("uuid")).lower()) for s in created}
            if len(mine) != 1 or len(ids) != 1 or (mine[0]["id"], mine[0]["uuid"]) not in ids:
                out["lost_201"] += 1
        elif all(s.status == 503 for s in tries):
            out["failed_keys"] += 1
            out["failed_with_row"] += 1 if mine else 0
        else:
            out["unresolved_keys"] += 1
        for row in mine:
            inserter = _inserted_by(row, tries)
            if inserter is None:
                out["unattributed_rows"] += 1
            elif inserter.status == 503:
                out["phantom_503"] += 1
            if not _row_matches(row, tries[0].sent):
                out["corrupt_rows"] += 1
    out["unknown_rows"] = sum(len(rs) for rs in by_key.values())
    out["ok"] = not any(out[k] for k in PROBLEMS)
    return out


def _inserted_by(row: dict, tries: list[Answered]) -> Answered | None:
    """The attempt during which the service stamped the row's created_at."""
    t = row["created_at"]
    for s in tries:
        if s.wall_start - CLOCK_SLACK_S <= t <= s.wall_end + CLOCK_SLACK_S:
            return s
    return None


def _final_201s(answered: Sequence[Answered]) -> list[Answered]:
    """One 201 per key (its first), for the cache check."""
    seen, out = set(), []
    for s in sorted(answered, key=lambda s: s.start):
        key = s.key or (s.sent or {}).get("firmware")
        if s.status == 201 and s.answer and key not in seen:
            seen.add(key)
            out.append(s)
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
    unknown = check["unknown_keys"]
    note = f" ({unknown} unknown outcomes resolved by a keyed retry)" if unknown and not check["unresolved_keys"] else ""
    return ("nothing lied, nothing lost" if not problems else ", ".join(problems)) + note


def _rows(tag: str) -> list[dict]:
    """The run's rows, every one (duplicates included), once their count has been stable for
    STABLE_S (a request abandoned by its client, or received by a server frozen since, may still
    commit), read at most SETTLE_LIMIT_S."""
    query = ("SELECT id, uuid::text, mac, firmware, extract(epoch FROM created_at)::float8,"
             " created_at = updated_at FROM devices WHERE firmware LIKE %s")
    pattern = tag.replace("%", r"\%").replace("_", r"\_") + "%"
    deadline = time.monotonic() + SETTLE_LIMIT_S
    with databases.postgres() as conn:
        rows = conn.execute(query, (pattern,)).fetchall()
        stable_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - stable_since < STABLE_S:
            time.sleep(0.5)
            again = conn.execute(query, (pattern,)).fetchall()
            if len(again) != len(rows):
                rows, stable_since = again, time.monotonic()
    return [{"id": r[0], "uuid": r[1], "mac": r[2], "firmware": r[3], "created_at": r[4], "same_times": r[5]}
            for r in rows]


def _row_matches(row: dict, sent: dict) -> bool:
    try:
        uuidlib.UUID(row["uuid"])
    except ValueError:
        return False
    return row["mac"] == sent["mac"] and row["same_times"]

