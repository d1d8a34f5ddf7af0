"""POST /api/io-mix: eight MySQL transactions and a small file round trip."""

import asyncio
import json
import os
import random
import tempfile
import uuid
from collections.abc import Awaitable, Callable

from asyncmy.constants import ER
from asyncmy.errors import OperationalError
from fastapi import APIRouter, Request

from ..body import read_limited_body
from ..errors import DependencyError, Write
from ..metrics import timed
from ..resources import mysql, resources_of

router = APIRouter(prefix="/api/io-mix", tags=["io-mix"])

TRANSACTIONS = 8
ATTEMPTS = 3  # runs of one transaction that InnoDB keeps choosing as a deadlock victim
INSERT = "INSERT INTO mix_items (batch, name, value) VALUES (%s, %s, %s)"
COUNT = "SELECT COUNT(*) FROM mix_items WHERE batch = %s"
# LIMIT stops InnoDB's range scan at the batch's own rows; without it the scan locks the
# next batch's first entry and concurrent requests deadlock (CONTRACT.md, io-mix).
UPDATE = "UPDATE mix_items SET value = value + 1 WHERE batch = %s AND value < 5 LIMIT 5"
DELETE = "DELETE FROM mix_items WHERE batch = %s LIMIT 10"

Counts = tuple[int, int, int]  # rows created, updated, deleted


async def one_transaction(conn, write: Write) -> Counts:
    batch = str(uuid.uuid4())
    await conn.begin()
    async with conn.cursor() as cur:
        created = await cur.executemany(INSERT, [(batch, f"item-{k}", k) for k in range(10)])
        await cur.execute(COUNT, (batch,))
        (count,) = await cur.fetchone()
        if count != 10:
            raise DependencyError(503, "mysql answered an unexpected row count")
        updated = await cur.execute(UPDATE, (batch,))
        deleted = await cur.execute(DELETE, (batch,))
    with write.commit():
        await conn.commit()
    return created, updated, deleted


def is_deadlock(exc: Exception) -> bool:
    """MySQL error 1213: InnoDB chose this transaction as a deadlock victim and rolled all of
    it back. Not 1205 (lock wait timeout), which rolls back only the statement."""
    return isinstance(exc, OperationalError) and exc.args[0] == ER.LOCK_DEADLOCK


async def retry_deadlocks(transaction: Callable[[], Awaitable[Counts]]) -> Counts:
    """Run `transaction`, and again if it was chosen as a deadlock victim, as the MySQL manual
    advises: the server rolled all of it back (no ROLLBACK needed; the next run's BEGIN starts
    afresh), so a new run is safe. Rare with the bounded statements, not impossible
    (CONTRACT.md). Anything else is raised at once."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await transaction()
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
        # A few random ms, so that the two transactions do not collide again in step.
        await asyncio.sleep(random.uniform(0.001, 0.005))
    return await transaction()  # the last run: even a deadlock is raised (503)


def file_round_trip() -> int:
    """Write ~1 KiB of JSON, read it back, verify, delete. Page-cache fast: no thread hop."""
    doc = json.dumps({"id": str(uuid.uuid4()), "items": [{"k": k, "v": "x" * 16} for k in range(32)]})
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(doc)
        with open(path) as f:
            if f.read() != doc:
                raise OSError("file round trip: content differs")
    finally:
        os.unlink(path)
    return 2


@router.post("")
async def io_mix(request: Request) -> dict[str, int]:
    await read_limited_body(request)  # ignored, but bounded like every body (413)
    r = resources_of(request)
    totals = [0, 0, 0]
    # One deadline for the whole workload: asyncmy bounds each connect and read, but has no
    # timeout for waiting on its pool, and eight transactions are some forty round trips.
    # Striking while a COMMIT is unanswered, it is a 504 (errors.Write), else a 503.
    async with (timed("mix", "mysql"), Write("mysql") as write,
                asyncio.timeout(r.settings.db_timeout_seconds), mysql(r) as conn):
        for _ in range(TRANSACTIONS):
            for i, n in enumerate(await retry_deadlocks(lambda: one_transaction(conn, write))):
                totals[i] += n
    return {"transactions": TRANSACTIONS, "rows_created": totals[0], "rows_updated": totals[1],
            "rows_deleted": totals[2], "file_operations": file_round_trip()}
