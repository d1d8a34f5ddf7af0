"""SQLAlchemy 2.x ORM models of the PostgreSQL tables (db/postgres/schema.sql)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, DateTime, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {str: Text, datetime: DateTime(timezone=True)}


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uuid: Mapped[UUID] = mapped_column(unique=True)
    mac: Mapped[str]
    firmware: Mapped[str]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str]
    email: Mapped[str]
    created_at: Mapped[datetime]
