"""Request and response bodies of the contract."""

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

# Six hex pairs joined by one separator used throughout: '-' or ':'.
MAC_PATTERN = r"^([0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$"
NO_NUL_PATTERN = r"^[^\x00]*$"


def format_millis(moment: datetime) -> str:
    """2024-05-28T15:21:51.137Z"""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def format_seconds(moment: datetime) -> str:
    """2024-01-01T00:42:00Z"""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


UtcMillis = Annotated[datetime, PlainSerializer(format_millis, return_type=str)]
UtcSeconds = Annotated[datetime, PlainSerializer(format_seconds, return_type=str)]


class DeviceIn(BaseModel):
    # strict: a number or null is a wrong type, not something to coerce.
    mac: str = Field(strict=True, pattern=MAC_PATTERN)
    # No NUL: PostgreSQL text cannot hold it, so it is bad input, not a database failure.
    firmware: str = Field(strict=True, min_length=1, max_length=255, pattern=NO_NUL_PATTERN)


class DeviceOut(BaseModel):
    id: int
    uuid: UUID
    mac: str
    firmware: str
    created_at: UtcMillis
    updated_at: UtcMillis


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    username: str
    email: str
    created_at: UtcSeconds


class FibOut(BaseModel):
    n: int
    fibonacci: int


class IoMixOut(BaseModel):
    transactions: int
    rows_created: int
    rows_updated: int
    rows_deleted: int
    file_operations: int


class HealthOut(BaseModel):
    status: str
