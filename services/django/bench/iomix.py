"""The io-mix workload of the FastAPI-vs-Django report (CONTRACT.md, endpoint 6)."""

import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable

from django.db import OperationalError, connections
from MySQLdb.constants import ER

from .models import MixItem
from .outcome import mysql_transaction

TRANSACTIONS = 8
ATTEMPTS = 3  # runs of one transaction that InnoDB keeps choosing as a deadlock victim
ROWS_PER_BATCH = 10
UPDATED_PER_BATCH = 5
# value == k right after the insert, so value < 5 selects k < 5.
UPDATE = "UPDATE mix_items SET value = value + 1 WHERE batch = %s AND value < %s LIMIT %s"
DELETE = "DELETE FROM mix_items WHERE batch = %s LIMIT %s"


class MixCheckFailed(RuntimeError):
    """The database did not report what the workload just did: roll back, answer 500."""


def one_transaction() -> tuple[int, int, int]:
    """Insert, count, update, delete one batch in one transaction; returns the database's
    counts of rows created, updated and deleted."""
    items = MixItem.objects.using("mysql")
    batch = str(uuid.uuid4())
    with mysql_transaction():
        # One multi-row INSERT.
        items.bulk_create(
            MixItem(batch=batch, name=f"item-{k}", value=k) for k in range(ROWS_PER_BATCH)
        )
        count = items.filter(batch=batch).count()
        if count != ROWS_PER_BATCH:
            raise MixCheckFailed(f"batch holds {count} rows, not {ROWS_PER_BATCH}")
        # Bounded statements, which the ORM cannot express: without LIMIT, InnoDB's scan
        # (on the batch index, or the whole table when it is nearly empty) also locks
        # other requests' rows and concurrent requests deadlock (CONTRACT.md, io-mix).
        with connections["mysql"].cursor() as cursor:
            cursor.execute(UPDATE, [batch, UPDATED_PER_BATCH, UPDATED_PER_BATCH])
            updated = cursor.rowcount
            cursor.execute(DELETE, [batch, ROWS_PER_BATCH])
            deleted = cursor.rowcount
    return count, updated, deleted


def is_deadlock(exc: Exception) -> bool:
    """MySQL error 1213: InnoDB chose this transaction as a deadlock victim and rolled all of
    it back. Not 1205 (lock wait timeout), which rolls back only the statement."""
    return isinstance(exc, OperationalError) and exc.args[0] == ER.LOCK_DEADLOCK


def retry_deadlocks(run: Callable[[], tuple[int, int, int]]) -> tuple[int, int, int]:
    """Call `run`, and again if its transaction was chosen as a deadlock victim, as the MySQL
    manual advises: the server rolled all of it back, so a new run is safe. `run` holds the
    whole atomic block: a retry inside it would continue a transaction that no longer exists.
    Rare with the bounded statements, not impossible (CONTRACT.md). Anything else is raised."""
    for _ in range(ATTEMPTS - 1):
        try:
            return run()
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
        # A few random ms, so that the two transactions do not collide again in step.
        time.sleep(random.uniform(0.001, 0.005))
    return run()  # the last run: even a deadlock is raised (503)


def run_transactions() -> dict:
    """Eight insert/count/update/delete transactions; the counts are the database's own."""
    created = updated = deleted = 0
    for _ in range(TRANSACTIONS):
        c, u, d = retry_deadlocks(one_transaction)
        created, updated, deleted = created + c, updated + u, deleted + d
    return {
        "transactions": TRANSACTIONS,
        "rows_created": created,
        "rows_updated": updated,
        "rows_deleted": deleted,
    }


def roundtrip_temp_file() -> int:
    """Write ~1 KiB of JSON to a new temporary file, read it back, compare, delete.
    Returns the number of file operations (write and read)."""
    document = json.dumps({"id": str(uuid.uuid4()), "items": [f"item-{k:04d}" for k in range(90)]})
    fd, path = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(document)
        with open(path) as f:
            if f.read() != document:
                raise MixCheckFailed(f"{path} did not read back what was written")
    finally:
        os.unlink(path)
    return 2
