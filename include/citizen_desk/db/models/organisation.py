"""The chain of command and its channels, as synced from the registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen_desk.db.models.base import PLATFORMS, UNIT_KINDS, Base, one_of


class Unit(Base):
    """A police unit in the chain of command (a tree of any depth)."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint(one_of("kind", UNIT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    duty_officer_slack: Mapped[str | None] = mapped_column(String(32))
    chief_slack: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    updated_at: Mapped[datetime]

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Channel(Base):
    """A Facebook page or Zalo OA owned by a unit. The token lives in an Airflow connection."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("platform", "platform_id"),
        CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    platform: Mapped[str] = mapped_column(String(16))
    platform_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    connection_id: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql("true"))
    updated_at: Mapped[datetime]

    unit: Mapped[Unit] = relationship()
