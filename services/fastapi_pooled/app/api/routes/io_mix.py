"""The MySQL workload of the FastAPI-vs-Django report (CONTRACT.md, "POST /api/io-mix")."""

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable

import pymysql
import tortoise.exceptions
from fastapi import APIRouter
from pymysql.constants import ER
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.api.deps import SettingsDep
from app.core.errors import Write
from app.metrics import observe
from app.models import IoMixOut
from app.orm.mysql import MixItem
from app.utils import temp_file_roundtrip

router = APIRouter(tags=["io-mix"])

TRANSACTIONS = 8
ATTEMPTS = 3  # runs of one transaction that InnoDB keeps choosing as a deadlock victim


async def mix_transaction(write: Write) -> tuple[int, int, int]:
    """One transaction: insert 10 rows, count them, update 5, delete 10. Returns the row
    counts the server reported; in_transaction() rolls back on any error."""
    batch = str(uuid.uuid4())
    async with in_transaction() as conn:
        await MixItem.bulk_create(
            [MixItem(batch=batch, name=f"item-{k}", value=k) for k in range(10)], using_db=conn
        )
        # bulk_create returns no row count: the count of the batch is the rows created.
        created = await MixItem.filter(batch=batch).using_db(conn).count()
        if created != 10:
            raise RuntimeError(f"batch {batch} has {created} rows, expected 10")
        # LIMIT: touch only this batch's rows, so concurrent requests never deadlock on
        # the next index entry (CONTRACT.md).
        updated = await (
            MixItem.filter(batch=batch, value__lt=5)
            .using_db(conn)
            .limit(5)
            .update(value=F("value") + 1)
        )
        deleted = await MixItem.filter(batch=batch).using_db(conn).limit(10).delete()
        # Sent here rather than by the context's exit, so that its failure is told apart.
        with write.commit():
            await conn.commit()
    return created, updated, deleted


def is_deadlock(exc: Exception) -> bool:
    """MySQL error 1213: InnoDB chose this transaction as a deadlock victim and rolled all of
    it back. Not 1205 (lock wait timeout), which rolls back only the statement."""
    # Tortoise wraps the driver's error as its first argument; a failed COMMIT is not wrapped.
    if isinstance(exc, tortoise.exceptions.OperationalError) and exc.args:
        exc = exc.args[0]
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
    # aiomysql has no query timeout: one deadline for the whole workload (pool waits and
    # deadlock retries included), so that a hung MySQL is answered in bounded time.
    # The deadline striking while a COMMIT is unanswered is a 504 (app/core/errors.py).
    with observe("mix", "mysql"), Write("mysql") as write:
        async with asyncio.timeout(settings.db_timeout_seconds):
            for _ in range(TRANSACTIONS):
                c, u, d = await retry_deadlocks(lambda: mix_transaction(write))
                created, updated, deleted = created + c, updated + u, deleted + d
    return IoMixOut(
        transactions=TRANSACTIONS,
        rows_created=created,
        rows_updated=updated,
        rows_deleted=deleted,
        file_operations=temp_file_roundtrip(),
    )
