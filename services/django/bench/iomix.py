"""The io-mix workload of the FastAPI-vs-Django report (CONTRACT.md, endpoint 6)."""

import json
import os
import tempfile
import uuid

from django.db import connections, transaction

from .models import MixItem

TRANSACTIONS = 8
ROWS_PER_BATCH = 10
UPDATED_PER_BATCH = 5
# value == k right after the insert, so value < 5 selects k < 5.
UPDATE = "UPDATE mix_items SET value = value + 1 WHERE batch = %s AND value < %s LIMIT %s"
DELETE = "DELETE FROM mix_items WHERE batch = %s LIMIT %s"


class MixCheckFailed(RuntimeError):
    """The database did not report what the workload just did: roll back, answer 500."""


def run_transactions() -> dict:
    """Eight insert/count/update/delete transactions; the counts are the database's own."""
    created = updated = deleted = 0
    items = MixItem.objects.using("mysql")
    for _ in range(TRANSACTIONS):
        batch = str(uuid.uuid4())
        with transaction.atomic(using="mysql"):
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
                updated += cursor.rowcount
                cursor.execute(DELETE, [batch, ROWS_PER_BATCH])
                batch_deleted = cursor.rowcount
            created += count
            deleted += batch_deleted
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
