"""SQLAlchemy 2.x ORM models of the PostgreSQL tables (db/postgres/schema.sql)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, FetchedValue, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {str: Text, datetime: DateTime(timezone=True)}


class Device(Base):
    __tablename__ = "devices"
    # idempotency_key is FetchedValue ("the server's"), so that a device added to the session
    # is INSERTed without it rather than with a NULL, and not eager_defaults, so that the
    # INSERT returns the id alone: the statement this service always sent. Only the keyed
    # INSERT of app/api/routes/devices.py writes a key.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uuid: Mapped[UUID] = mapped_column(unique=True)
    mac: Mapped[str]
    firmware: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    idempotency_key: Mapped[str | None] = mapped_column(server_default=FetchedValue())


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str]
    email: Mapped[str]
    created_at: Mapped[datetime]
