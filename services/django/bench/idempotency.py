"""POST /api/devices with an Idempotency-Key (CONTRACT.md): one key, one row.

Raw SQL, for two reasons: the ORM cannot write `ON CONFLICT (column) WHERE ... DO NOTHING`, and
the Device model leaves the key column out (bench/models.py), so that the ORM's INSERT of a
request without a key stays the statement it always was.
"""

from django.db import connection

from .models import Device
from .outcome import sent_to_postgres

# The conflict target repeats the partial unique index's predicate, so PostgreSQL can use that
# index as the arbiter. A repeat that arrives while the first INSERT is uncommitted waits for it,
# then inserts nothing (or, if the first rolled back, inserts its own row).
INSERT_ONCE = """
    INSERT INTO devices (uuid, mac, firmware, created_at, updated_at, idempotency_key)
    VALUES (%s, %s, %s, %s, %s, %s)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING id
"""
DEVICE_WITH_KEY = """
    SELECT id, uuid, mac, firmware, created_at, updated_at FROM devices WHERE idempotency_key = %s
"""


def create_once(device: Device, key: str) -> Device:
    """Insert `device` under `key` and return it with its id; or, if the key already has a
    device, insert nothing and return that one (the caller compares mac and firmware)."""
    values = [device.uuid, device.mac, device.firmware, device.created_at, device.updated_at, key]
    with sent_to_postgres(), connection.cursor() as cursor:
        cursor.execute(INSERT_ONCE, values)
        inserted = cursor.fetchone()
    if inserted is not None:
        device.id = inserted[0]
        return device
    # Nothing was written: if this read fails, the answer is a plain 503.
    return Device.objects.raw(DEVICE_WITH_KEY, [key])[0]
