import asyncio
import logging
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Response

from app.api.deps import MemcacheDep, SessionDep, SettingsDep
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


@router.post("", status_code=201, response_model=DeviceOut)
async def create_device(
    device: DeviceIn, settings: SettingsDep, session: SessionDep, memcache: MemcacheDep
) -> Response:
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # stored as sent: ms
    row = Device(
        uuid=uuid.uuid4(), mac=device.mac, firmware=device.firmware, created_at=now, updated_at=now
    )
    with observe("insert", "postgres"):
        session.add(row)
        await session.commit()  # INSERT ... RETURNING id

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
