"""How messages come in: collection watermarks and runs, quarantined payloads, rotating
platform tokens, and the durable inbox of webhook events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column

from citizen_desk.db.models.base import INBOX_STATUSES, PLATFORMS, Base, one_of
from citizen_desk.domain.vocabulary import InboxStatus


class CollectionWatermark(Base):
    """How far a channel's source has been collected; advanced in the same transaction as data."""

    __tablename__ = "collection_watermarks"
    __table_args__ = (UniqueConstraint("channel_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    source: Mapped[str] = mapped_column(String(16))
    watermark: Mapped[datetime]
    updated_at: Mapped[datetime]
    run_id: Mapped[str | None] = mapped_column(String(250))


class CollectionRun(Base):
    """Per channel and DAG run: what one collection did (upserted, so retries overwrite)."""

    __tablename__ = "collection_runs"
    __table_args__ = (
        UniqueConstraint("run_id", "channel_id"),
        Index("ix_collection_runs_channel_finished", "channel_id", "finished_at"),
        Index("ix_collection_runs_channel_started", "channel_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(250))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)


class Quarantine(Base):
    """A payload that failed validation, kept with the reason; one row per distinct payload."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("channel_id", "payload_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))
    source: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str | None] = mapped_column(String(250))
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class PlatformToken(Base):
    """Rotating platform credentials (Zalo access/refresh pair), encrypted at rest."""

    __tablename__ = "platform_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"), unique=True)
    access_token_enc: Mapped[str] = mapped_column(Text)
    refresh_token_enc: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime]
    generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]


class InboxEvent(Base):
    """A webhook event, stored before the receiver answers 200 (one row per platform event id)."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("platform", "event_key"),
        CheckConstraint(one_of("platform", PLATFORMS), name="platform"),
        CheckConstraint(one_of("status", INBOX_STATUSES), name="status"),
        Index(
            "ix_inbox_events_pending",
            "id",
            postgresql_where=sql("status IN ('pending', 'queued')"),
            sqlite_where=sql("status IN ('pending', 'queued')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_key: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=InboxStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]  # when the watcher last fired a run for it
    processed_at: Mapped[datetime | None]
