"""What goes out: the notification outbox (ledger of Slack messages), the Slack interactions
accepted, the weekly publications (ledger of posts) and the approvers' revisions of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen_desk.db.models.base import NOTIFICATION_STATUSES, PUBLICATION_STATUSES, Base, one_of
from citizen_desk.db.models.organisation import Channel
from citizen_desk.domain.lanes import Lane, lane_for


def _lane_of_insert(context: Any) -> int:
    """`priority` of an inserted notification: the delivery lane of its kind."""
    return lane_for(context.get_current_parameters().get("kind"))


class Notification(Base):
    """Outbox and ledger: written before sending, marked after; the key makes sends exactly-once.

    `priority` is the delivery lane (`citizen_desk.domain.lanes`), derived from `kind` at insert;
    `last_error` also holds why a notification was `superseded`.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(one_of("status", NOTIFICATION_STATUSES), name="status"),
        Index("ix_notifications_status", "status"),
        Index("ix_notifications_lane_due", "priority", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    payload_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_channel: Mapped[str | None] = mapped_column(String(64))
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    source: Mapped[str | None] = mapped_column(String(250))
    priority: Mapped[int] = mapped_column(
        Integer, default=_lane_of_insert, server_default=sql(str(int(Lane.WARNING)))
    )


class SlackInteraction(Base):
    """A signed Slack interaction (a button click) that was accepted, keyed by its signature.

    The signature covers the request timestamp and the whole body, so the same request seen again
    (a replay within Slack's five-minute window) hits the unique constraint and is refused before
    anything is applied. `outcome` is what came of it (`acknowledged`, `already_acknowledged`,
    `refused_user`, …); `value` the button's value (a notification key, never personal data).
    """

    __tablename__ = "slack_interactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signature: Mapped[str] = mapped_column(String(80), unique=True)
    request_ts: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    slack_user: Mapped[str] = mapped_column(String(32))
    action_id: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(32))


class Publication(Base):
    """A weekly post per channel and period; unique, so a channel is never posted to twice."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("channel_id", "period"),
        CheckConstraint(one_of("status", PUBLICATION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    period: Mapped[str] = mapped_column(String(16))
    marker: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(20), default="draft")
    blocked_reason: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    approved_revision: Mapped[int | None] = mapped_column(Integer)  # None: the draft as rendered
    platform_post_id: Mapped[str | None] = mapped_column(String(128))
    platform_job_token: Mapped[str | None] = mapped_column(String(512))  # Zalo article job
    broadcast_status: Mapped[str | None] = mapped_column(String(32))  # Zalo broadcast
    broadcast_message_id: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime | None]
    report_path: Mapped[str | None] = mapped_column(String(512))
    run_id: Mapped[str | None] = mapped_column(String(250))
    updated_at: Mapped[datetime]

    channel: Mapped[Channel] = relationship()


class PublicationRevision(Base):
    """An approver's corrected text of a post awaiting approval, saved on the Citizen Desk page.

    Only a text that passed the PII gate is ever stored here (`publication.revisions`). `number`
    counts the post's revisions from 1; `base_hash` is the SHA-256 of the rendered draft it
    corrects, so a draft rendered again with other figures leaves its older revisions behind.
    """

    __tablename__ = "publication_revisions"
    __table_args__ = (UniqueConstraint("publication_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    base_hash: Mapped[str] = mapped_column(String(64))
    edited_by: Mapped[str] = mapped_column(String(128))
    edited_at: Mapped[datetime]


class RedactedExcerpt(Base):
    """An excerpt of a citizen's text as alerts and boards show it: already redacted, kept so
    that a sweep does not redact it again (`citizen_desk.db.excerpts`).

    `digest` is `privacy.excerpt.excerpt_key`: a SHA-256 of the engine's fingerprint, the
    excerpt's length, the text and the case's protected names. The table holds no citizen's text
    or identity, only what an alert shows; `engine` lets a new redaction engine drop the rows of
    the old one. `verdict` is the PII gate's judgement of the excerpt alone (finding kinds,
    comma-separated, "" when clean; NULL when not judged), trusted only while `seal`
    (`privacy.excerpt.verdict_seal`: engine, names, excerpt, verdict) matches.
    """

    __tablename__ = "redacted_excerpts"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    engine: Mapped[str] = mapped_column(String(16), index=True)
    excerpt: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    verdict: Mapped[str | None] = mapped_column(Text)
    seal: Mapped[bytes | None] = mapped_column(LargeBinary(32))
