"""GET /api/devices (hard-coded list) and POST /api/devices (PostgreSQL insert + memcached set)."""

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from ..body import read_limited_body
from ..errors import DependencyError, OutcomeUnknown, unanswered
from ..metrics import timed
from ..resources import postgres, resources_of

router = APIRouter(prefix="/api/devices", tags=["devices"])

DEVICES = [
    {"id": 1, "uuid": "9add349c-c35c-4d32-ab0f-53da1ba40a2a", "mac": "EF-2B-C4-F5-D6-34", "firmware": "2.1.5",
     "created_at": "2024-05-28T15:21:51.137Z", "updated_at": "2024-05-28T15:21:51.137Z"},
    {"id": 2, "uuid": "d2293412-36eb-46e7-9231-af7e9249fffe", "mac": "E7-34-96-33-0C-4C", "firmware": "1.0.3",
     "created_at": "2024-01-28T15:20:51.137Z", "updated_at": "2024-01-28T15:20:51.137Z"},
    {"id": 3, "uuid": "eee58ca8-ca51-47a5-ab48-163fd0e44b77", "mac": "68-93-9B-B5-33-B9", "firmware": "4.3.1",
     "created_at": "2024-08-28T15:18:21.137Z", "updated_at": "2024-08-28T15:18:21.137Z"},
]

MAC_PATTERN = r"^[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}$|^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$"


def storable_text(text: str) -> str:
    r"""PostgreSQL text holds neither NUL nor a lone surrogate ("\ud800" is valid JSON): both
    are bad input (422), not a database failure."""
    if "\x00" in text:
        raise ValueError("must not contain NUL")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return text


class DeviceIn(BaseModel):
    model_config = ConfigDict(strict=True)  # a number is not a mac, null is not a firmware

    mac: Annotated[str, StringConstraints(pattern=MAC_PATTERN, min_length=17, max_length=17)]
    firmware: Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(storable_text)]


def parse_device(body: bytes) -> DeviceIn:
    """Validate straight from bytes in pydantic-core: one pass, no intermediate dict."""
    try:
        return DeviceIn.model_validate_json(body)
    except ValidationError as exc:
        # Without the input: raw bytes that are not UTF-8 could not be written into the 422.
        raise RequestValidationError(
            exc.errors(include_url=False, include_context=False, include_input=False)) from None


IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")  # visible ASCII, no space


def idempotency_key(request: Request) -> str | None:
    """The optional Idempotency-Key header (CONTRACT.md): any other value, or the header given
    twice, is 422."""
    keys = request.headers.getlist("idempotency-key")
    if not keys:
        return None
    if len(keys) == 1 and IDEMPOTENCY_KEY.fullmatch(keys[0]):
        return keys[0]
    raise RequestValidationError([{"type": "value_error", "loc": ("header", "idempotency-key"),
                                   "msg": "Idempotency-Key must be given once, 1 to 255 visible ASCII characters"}])


def utc_now_ms() -> str:
    """Now as "2024-05-28T15:21:51.137Z": the response's stamp and, as text, the inserted value
    (timestamptz is exchanged as text, see resources.use_text_timestamps)."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


INSERT = (
    "INSERT INTO devices (uuid, mac, firmware, created_at, updated_at)"
    " VALUES ($1, $2, $3, $4, $4) RETURNING id"
)
# With an Idempotency-Key. A key already used inserts nothing (one still being inserted makes
# this INSERT wait for that one's commit), and SELECT_KEYED reads the first request's row, its
# stamps in the contract's format.
INSERT_KEYED = (
    "INSERT INTO devices (uuid, mac, firmware, created_at, updated_at, idempotency_key)"
    " VALUES ($1, $2, $3, $4, $4, $5)"
    " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id"
)
MS_UTC = """'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'"""
SELECT_KEYED = (
    "SELECT id, uuid::text AS uuid, mac, firmware,"
    f" to_char(created_at AT TIME ZONE 'UTC', {MS_UTC}) AS created_at,"
    f" to_char(updated_at AT TIME ZONE 'UTC', {MS_UTC}) AS updated_at"
    " FROM devices WHERE idempotency_key = $1"
)


@router.get("")
async def list_devices() -> Response:
    # Serialised on every request, as every service must (CONTRACT.md, fairness rules): the
    # same orjson path as the users page, no bytes encoded once at import.
    return Response(orjson.dumps(DEVICES), media_type="application/json")


@router.post("", status_code=201)
async def create_device(request: Request) -> Response:
    # Body read and validated in the handler: as dependencies, the plain `def` validator ran
    # in anyio's thread pool on every request (README ladder, step 2).
    device = parse_device(await read_limited_body(request))
    key = idempotency_key(request)
    r = resources_of(request)
    device_id = str(uuid.uuid4())
    stamp = utc_now_ms()
    async with timed("insert", "postgres"), postgres(r) as conn:
        try:
            if key is None:
                row_id = await conn.fetchval(INSERT, device_id, device.mac, device.firmware, stamp)
            else:
                row_id = await conn.fetchval(INSERT_KEYED, device_id, device.mac, device.firmware, stamp, key)
        except Exception as exc:
            # Sent, in autocommit: without the server's answer the row may be committed or not.
            if unanswered(exc):
                raise OutcomeUnknown("postgres") from exc
            raise
        first = None if row_id is not None else await conn.fetchrow(SELECT_KEYED, key)  # key used
    if row_id is not None:
        body = orjson.dumps({"id": row_id, "uuid": device_id, "mac": device.mac, "firmware": device.firmware,
                             "created_at": stamp, "updated_at": stamp})
    elif (first["mac"], first["firmware"]) == (device.mac, device.firmware):
        device_id, body = first["uuid"], orjson.dumps(dict(first))  # the first request's body
    else:
        raise HTTPException(422, "idempotency key reused with a different request")
    try:
        # The database is the source of truth: a cache failure is counted, not returned.
        # aiomcache has no timeouts of its own.
        async with timed("set", "memcache", timeout=r.settings.memcached_timeout_seconds):
            await r.memcache.set(f"device:{device_id}".encode(), body, exptime=r.settings.cache_ttl_seconds)
    except DependencyError:
        pass
    return Response(body, status_code=201, media_type="application/json")
