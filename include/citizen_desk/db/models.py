"""The domain database (separate from Airflow's metadata DB).

Every natural key is a unique constraint and every enumerated column a CHECK constraint, so the
database itself refuses duplicates and nonsense. Timestamps are aware UTC (see `UtcDateTime`).

Protected data: `Citizen.protected_display_name` and `Citizen.protected_profile` hold the identity
of the sender. Only the protected case view may read them; notification, publication and report
code never selects these columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from citizen_desk.db.types import JsonType, UtcDateTime
from citizen_desk.domain.lanes import Lane, lane_for
from citizen_desk.domain.vocabulary import (
    CATEGORIES,
    CaseStatus,
    Direction,
    InboxStatus,
    MessageKind,
    NotificationStatus,
    Platform,
    PublicationStatus,
    SlaEventKind,
    TipStatus,
    UnitKind,
    values,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PLATFORMS = values(Platform)
UNIT_KINDS = values(UnitKind)
MESSAGE_KINDS = values(MessageKind)
DIRECTIONS = values(Direction)
CASE_STATUSES = values(CaseStatus)
TIP_STATUSES = values(TipStatus)
NOTIFICATION_STATUSES = values(NotificationStatus)
PUBLICATION_STATUSES = values(PublicationStatus)
SLA_EVENT_KINDS = values(SlaEventKind)
INBOX_STATUSES = values(InboxStatus)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonType,
    }


class Unit(Base):
    """A police unit in the chain of command (a tree of any depth)."""

    __tablename__ = "units"
    __table_args__ = (CheckConstraint(_in("kind", UNIT_KINDS), name="kind"),)

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
        CheckConstraint(_in("platform", PLATFORMS), name="platform"),
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


class Citizen(Base):
    """A pseudonymous sender: one platform user id per channel.

    PROTECTED: `protected_display_name` and `protected_profile` identify the person and are read
    only by the protected case view (and redaction, which needs the name to mask it).
    """

    __tablename__ = "citizens"
    __table_args__ = (UniqueConstraint("channel_id", "platform_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    protected_display_name: Mapped[str | None] = mapped_column(String(255))
    protected_profile: Mapped[dict[str, Any] | None]
    first_seen_at: Mapped[datetime]


class Message(Base):
    """One collected message or comment, citizen→page (`in`) or page→citizen (`out`)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel_id", "platform_message_id"),
        CheckConstraint(_in("direction", DIRECTIONS), name="direction"),
        CheckConstraint(_in("kind", MESSAGE_KINDS), name="kind"),
        Index("ix_messages_channel_thread_created", "channel_id", "thread_key", "created_at"),
        Index("ix_messages_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    platform_message_id: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(16))
    thread_key: Mapped[str] = mapped_column(String(128))
    parent_platform_id: Mapped[str | None] = mapped_column(String(128))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    category: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    raw: Mapped[dict[str, Any] | None]
    collection_run_id: Mapped[str | None] = mapped_column(String(250))
    collected_at: Mapped[datetime]


class Case(Base):
    """A citizen thread needing handling; a citizen question after an answer opens a new turn."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("channel_id", "thread_key"),
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        # Sweeps read only open cases: keep them cheap however long the history grows.
        Index(
            "ix_cases_open_awaiting",
            "awaiting_since",
            postgresql_where=sql("status = 'open'"),
            sqlite_where=sql("status = 'open'"),
        ),
        Index("ix_cases_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    thread_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    triage_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    needs_human_triage: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql("false")
    )
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    turn_no: Mapped[int] = mapped_column(Integer, default=1)
    awaiting_since: Mapped[datetime | None]
    last_citizen_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    last_response_at: Mapped[datetime | None]
    sla_warn_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    permalink: Mapped[str | None] = mapped_column(String(512))
    updated_at: Mapped[datetime]

    channel: Mapped[Channel] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def reference(self) -> str:
        """The reference officers quote in alerts and on the phone (no identity in it)."""
        return f"CD-{self.id:06d}"


class CaseTurn(Base):
    """One SLA turn: opened by a citizen message awaiting reply, closed by the page's reply."""

    __tablename__ = "case_turns"
    __table_args__ = (UniqueConstraint("case_id", "turn_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    turn_no: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]


class SlaEvent(Base):
    """A recorded SLA outcome; unique per case, turn, kind and policy version."""

    __tablename__ = "sla_events"
    __table_args__ = (
        UniqueConstraint("case_id", "turn_no", "kind", "policy_version"),
        CheckConstraint(_in("kind", SLA_EVENT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    turn_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    evaluated_at: Mapped[datetime]
    policy_version: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(String(250))


class Tip(Base):
    """Verification state of a case of category `tip`."""

    __tablename__ = "tips"
    __table_args__ = (
        CheckConstraint(_in("status", TIP_STATUSES), name="status"),
        CheckConstraint(
            "status != 'forwarded' OR forwarded_to IS NOT NULL", name="forwarded_has_target"
        ),
        Index(
            "ix_tips_open_received",
            "received_at",
            postgresql_where=sql("status IN ('new', 'verifying')"),
            sqlite_where=sql("status IN ('new', 'verifying')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql("false"))
    received_at: Mapped[datetime]
    escalation_level: Mapped[int] = mapped_column(Integer, default=-1)
    extension_seconds: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None]
    verified_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None]
    forwarded_to: Mapped[str | None] = mapped_column(String(255))
    public_outcome: Mapped[str | None] = mapped_column(Text)
    public_outcome_by: Mapped[str | None] = mapped_column(String(128))
    last_action: Mapped[str | None] = mapped_column(String(64))
    last_action_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    case: Mapped[Case] = relationship()
    unit: Mapped[Unit] = relationship()


class TipAcknowledgement(Base):
    """Someone at an escalation level said "seen, working on it": stops that level's reminders.

    `unit_id` is the tip's unit when it was said: after a reassignment, it still holds only where
    the unit answerable at that level is unchanged.
    """

    __tablename__ = "tip_acknowledgements"
    __table_args__ = (UniqueConstraint("tip_id", "level", "unit_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id"))
    level: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)


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
        CheckConstraint(_in("status", NOTIFICATION_STATUSES), name="status"),
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
        CheckConstraint(_in("status", PUBLICATION_STATUSES), name="status"),
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
    platform_post_id: Mapped[str | None] = mapped_column(String(128))
    platform_job_token: Mapped[str | None] = mapped_column(String(512))  # Zalo article job
    broadcast_status: Mapped[str | None] = mapped_column(String(32))  # Zalo broadcast
    broadcast_message_id: Mapped[str | None] = mapped_column(String(128))
    published_at: Mapped[datetime | None]
    report_path: Mapped[str | None] = mapped_column(String(512))
    run_id: Mapped[str | None] = mapped_column(String(250))
    updated_at: Mapped[datetime]

    channel: Mapped[Channel] = relationship()


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


class InboxEvent(Base):
    """A webhook event, stored before the receiver answers 200 (one row per platform event id)."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("platform", "event_key"),
        CheckConstraint(_in("platform", PLATFORMS), name="platform"),
        CheckConstraint(_in("status", INBOX_STATUSES), name="status"),
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
