import asyncio
import logging
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import IdempotencyKeyDep, MemcacheDep, SessionDep, SettingsDep
from app.core.errors import Write
from app.core.json_body import StrictJSONRoute
from app.metrics import observe
from app.models import DeviceIn, DeviceOut
from app.orm.postgres import Device

router = APIRouter(prefix="/devices", tags=["devices"], route_class=StrictJSONRoute)
logger = logging.getLogger(__name__)

# The hard-coded list of the Go-vs-FastAPI reference.
DEVICES = [
    DeviceOut(
        id=1,
        uuid="9add349c-c35c-4d32-ab0f-53da1ba40a2a",
        mac="EF-2B-C4-F5-D6-34",
        firmware="2.1.5",
        created_at="2024-05-28T15:21:51.137Z",
        updated_at="2024-05-28T15:21:51.137Z",
    ),
    DeviceOut(
        id=2,
        uuid="d2293412-36eb-46e7-9231-af7e9249fffe",
        mac="E7-34-96-33-0C-4C",
        firmware="1.0.3",
        created_at="2024-01-28T15:20:51.137Z",
        updated_at="2024-01-28T15:20:51.137Z",
    ),
    DeviceOut(
        id=3,
        uuid="eee58ca8-ca51-47a5-ab48-163fd0e44b77",
        mac="68-93-9B-B5-33-B9",
        firmware="4.3.1",
        created_at="2024-08-28T15:18:21.137Z",
        updated_at="2024-08-28T15:18:21.137Z",
    ),
]


@router.get("", response_model=list[DeviceOut])
async def list_devices() -> list[DeviceOut]:
    return DEVICES


async def insert_once(session: AsyncSession, row: Device, key: str) -> Device:
    """`row` inserted with its Idempotency-Key, or the row an earlier request inserted with
    that key. When two arrive at once, the second INSERT waits for the first's COMMIT, then
    does nothing and reads the first's row."""
    new_id = await session.scalar(
        insert(Device)
        .values(
            uuid=row.uuid,
            mac=row.mac,
            firmware=row.firmware,
            created_at=row.created_at,
            updated_at=row.updated_at,
            idempotency_key=key,
        )
        .on_conflict_do_nothing(
            index_elements=[Device.idempotency_key], index_where=Device.idempotency_key.is_not(None)
        )
        .returning(Device.id)
    )
    if new_id is None:
        return await session.scalar(select(Device).where(Device.idempotency_key == key))
    row.id = new_id
    return row


@router.post("", status_code=201, response_model=DeviceOut)
async def create_device(
    device: DeviceIn,
    key: IdempotencyKeyDep,
    settings: SettingsDep,
    session: SessionDep,
    memcache: MemcacheDep,
) -> Response:
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # stored as sent: ms
    row = Device(
        uuid=uuid.uuid4(), mac=device.mac, firmware=device.firmware, created_at=now, updated_at=now
    )
    # A failure before the COMMIT is a 503, while the COMMIT's may be a 504 (app/core/errors.py).
    with observe("insert", "postgres"), Write("postgres") as write:
        if key is None:
            session.add(row)
            await session.flush()  # BEGIN, INSERT ... RETURNING id
        else:
            row = await insert_once(session, row, key)
        with write.commit():
            await session.commit()
    if (row.mac, row.firmware) != (device.mac, device.firmware):
        raise HTTPException(422, "idempotency key reused with a different request")

    body = DeviceOut.model_validate(row, from_attributes=True).model_dump_json().encode()
    # The cache gets the exact bytes of the response. The database is the source of
    # truth: a memcached failure is counted and logged, and the device is still created.
    try:
        with observe("set", "memcache"):
            async with asyncio.timeout(settings.memcached_timeout_seconds):
                stored = await memcache.set(
                    f"device:{row.uuid}".encode(), body, exptime=settings.cache_ttl_seconds
                )
            if not stored:
                raise RuntimeError("memcached did not store the key")
    except Exception as exc:
        logger.warning("memcached set failed: %s: %s", type(exc).__name__, exc)
    return Response(body, status_code=201, media_type="application/json")
