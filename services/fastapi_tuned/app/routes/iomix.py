"""POST /api/io-mix: eight MySQL transactions and a small file round trip."""

import json
import os
import tempfile
import uuid

from fastapi import APIRouter, Request

from ..body import read_limited_body
from ..errors import DependencyError
from ..metrics import timed
from ..resources import resources_of

router = APIRouter(prefix="/api/io-mix", tags=["io-mix"])

TRANSACTIONS = 8
INSERT = "INSERT INTO mix_items (batch, name, value) VALUES (%s, %s, %s)"
COUNT = "SELECT COUNT(*) FROM mix_items WHERE batch = %s"
# LIMIT stops InnoDB's range scan at the batch's own rows; without it the scan locks the
# next batch's first entry and concurrent requests deadlock (CONTRACT.md, io-mix).
UPDATE = "UPDATE mix_items SET value = value + 1 WHERE batch = %s AND value < 5 LIMIT 5"
DELETE = "DELETE FROM mix_items WHERE batch = %s LIMIT 10"


async def one_transaction(conn) -> tuple[int, int, int]:
    batch = str(uuid.uuid4())
    await conn.begin()
    async with conn.cursor() as cur:
        created = await cur.executemany(INSERT, [(batch, f"item-{k}", k) for k in range(10)])
        await cur.execute(COUNT, (batch,))
        (count,) = await cur.fetchone()
        if count != 10:
            raise DependencyError(503, f"mysql: expected 10 rows in the batch, found {count}")
        updated = await cur.execute(UPDATE, (batch,))
        deleted = await cur.execute(DELETE, (batch,))
    await conn.commit()
    return created, updated, deleted


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
    async with timed("mix", "mysql", timeout=r.settings.db_timeout_seconds), r.mysql.acquire() as conn:
        try:
            for _ in range(TRANSACTIONS):
                for i, n in enumerate(await one_transaction(conn)):
                    totals[i] += n
        except BaseException:
            # Unknown state (maybe mid-transaction): never hand it back to the pool.
            # Closing the connection makes InnoDB roll back what was not committed.
            conn.close()
            raise
    return {"transactions": TRANSACTIONS, "rows_created": totals[0], "rows_updated": totals[1],
            "rows_deleted": totals[2], "file_operations": file_round_trip()}
