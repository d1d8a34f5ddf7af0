"""The MySQL workload of the FastAPI-vs-Django report (CONTRACT.md, "POST /api/io-mix")."""

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable

import aiomysql
import pymysql
from fastapi import APIRouter
from pymysql.constants import ER

from app.api.deps import SettingsDep
from app.db import connect_mysql
from app.metrics import observe
from app.models import IoMixOut
from app.utils import temp_file_roundtrip

router = APIRouter(tags=["io-mix"])

TRANSACTIONS = 8
ATTEMPTS = 3  # runs of one transaction that InnoDB keeps choosing as a deadlock victim


async def mix_transaction(conn: aiomysql.Connection) -> tuple[int, int, int]:
    """One transaction: insert 10 rows, count them, update 5, delete 10. Returns the row
    counts the server reported; rolls back on any error."""
    batch = str(uuid.uuid4())
    await conn.begin()
    try:
        async with conn.cursor() as cur:
            created = await cur.executemany(
                "INSERT INTO mix_items (batch, name, value) VALUES (%s, %s, %s)",
                [(batch, f"item-{k}", k) for k in range(10)],
            )
            await cur.execute("SELECT COUNT(*) FROM mix_items WHERE batch = %s", (batch,))
            (count,) = await cur.fetchone()
            if count != 10:
                raise RuntimeError(f"batch {batch} has {count} rows, expected 10")
            # LIMIT: touch only this batch's rows, so concurrent requests never deadlock on
            # the next index entry (CONTRACT.md).
            updated = await cur.execute(
                "UPDATE mix_items SET value = value + 1 WHERE batch = %s AND value < 5 LIMIT 5",
                (batch,),
            )
            deleted = await cur.execute("DELETE FROM mix_items WHERE batch = %s LIMIT 10", (batch,))
        await conn.commit()
    except Exception:
        await conn.rollback()
        raise
    return created, updated, deleted


def is_deadlock(exc: Exception) -> bool:
    """MySQL error 1213: InnoDB chose this transaction as a deadlock victim and rolled all of
    it back. Not 1205 (lock wait timeout), which rolls back only the statement."""
    return isinstance(exc, pymysql.err.OperationalError) and exc.args[0] == ER.LOCK_DEADLOCK


async def retry_deadlocks(
    transaction: Callable[[], Awaitable[tuple[int, int, int]]],
) -> tuple[int, int, int]:
    """Run `transaction`, and again if it was chosen as a deadlock victim, as the MySQL
    manual advises: the server rolled all of it back, so a new run is safe. Rare with the
    bounded statements, not impossible (CONTRACT.md). Anything else is raised at once."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await transaction()
        except Exception as exc:
            if not is_deadlock(exc):
                raise
        # A few random ms, so that the two transactions do not collide again in step.
        await asyncio.sleep(random.uniform(0.001, 0.005))
    return await transaction()  # the last run: even a deadlock is raised (503)


@router.post("/io-mix", response_model=IoMixOut)
async def io_mix(settings: SettingsDep) -> IoMixOut:
    created = updated = deleted = 0
    with observe("mix", "mysql"):
        conn = await connect_mysql(settings)  # a new connection for this request
        try:
            for _ in range(TRANSACTIONS):
                async with asyncio.timeout(settings.db_timeout_seconds):
                    c, u, d = await retry_deadlocks(lambda: mix_transaction(conn))
                created, updated, deleted = created + c, updated + u, deleted + d
        finally:
            await conn.ensure_closed()
    return IoMixOut(
        transactions=TRANSACTIONS,
        rows_created=created,
        rows_updated=updated,
        rows_deleted=deleted,
        file_operations=temp_file_roundtrip(),
    )
