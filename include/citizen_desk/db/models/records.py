"""What the desk keeps about itself: the append-only audit log and the registry snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from citizen_desk.db.models.base import Base


class AuditLog(Base):
    """Append-only history of every status change (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(250))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)


class RegistrySnapshot(Base):
    """A registry that validated, in canonical form: what runs fall back to when the file breaks.

    One row per distinct content (`content_hash`, SHA-256 of `content`); `loaded_at` is when it
    first validated, `last_valid_at` the last run that found the file valid with this content. The
    snapshot in use is the one with the latest `last_valid_at`.
    """

    __tablename__ = "registry_snapshots"
    __table_args__ = (Index("ix_registry_snapshots_last_valid_at", "last_valid_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime]
    last_valid_at: Mapped[datetime]
