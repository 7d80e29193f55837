"""Citizens, their messages and the cases they open: SLA turns and outcomes, tips and their
acknowledgements.

Protected data: `Citizen.protected_display_name` and `Citizen.protected_profile` hold the identity
of the sender. Only the protected case view may read them; notification, publication and report
code never selects these columns.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from citizen_desk.db.models.base import (
    CASE_STATUSES,
    DIRECTIONS,
    MESSAGE_KINDS,
    SLA_EVENT_KINDS,
    TIP_STATUSES,
    Base,
    one_of,
)
from citizen_desk.db.models.organisation import Channel, Unit
from citizen_desk.db.types import JsonType
from citizen_desk.domain.vocabulary import CATEGORIES


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
        CheckConstraint(one_of("direction", DIRECTIONS), name="direction"),
        CheckConstraint(one_of("kind", MESSAGE_KINDS), name="kind"),
        Index("ix_messages_channel_thread_created", "channel_id", "thread_key", "created_at"),
        Index("ix_messages_created_at", "created_at"),
        Index(
            "ix_messages_inbound_created",
            "created_at",
            "channel_id",
            postgresql_where=sql("direction = 'in'"),
            sqlite_where=sql("direction = 'in'"),
        ),
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


def case_reference(case_id: int) -> str:
    """The reference officers quote in alerts and on the phone (no identity in it)."""
    return f"CD-{case_id:06d}"


OPEN_BOARD_COLUMNS = (
    "awaiting_since", "opened_at", "category", "unit_id", "channel_id", "sla_warn_at",
    "sla_breached", "needs_human_triage",
)  # fmt: skip
OPEN_BOARD_FILTERS = ("unit_id", "category", "channel_id")


class Case(Base):
    """A citizen thread needing handling; a citizen question after an answer opens a new turn."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("channel_id", "thread_key"),
        CheckConstraint(one_of("category", CATEGORIES), name="category"),
        CheckConstraint(one_of("status", CASE_STATUSES), name="status"),
        # Sweeps read only open cases: keep them cheap however long the history grows.
        Index(
            "ix_cases_open_awaiting",
            "awaiting_since",
            postgresql_where=sql("status = 'open'"),
            sqlite_where=sql("status = 'open'"),
        ),
        Index("ix_cases_opened_at", "opened_at"),
        Index("ix_cases_first_response_at", "first_response_at"),
        # The SLA board counts and orders the open cases its filters match: read off this
        # index alone on PostgreSQL (an index-only scan), not from rows spread over the table.
        Index(
            "ix_cases_open_board",
            "sla_due_at",
            "id",
            postgresql_include=list(OPEN_BOARD_COLUMNS),
            postgresql_where=sql("status = 'open'"),
            sqlite_where=sql("status = 'open'"),
        ),
        # A filtered SLA board (by unit subtree, category or channel) counts and orders only the
        # open cases its filter matches: one partial index per filter, led by it (0017).
        *(
            Index(
                f"ix_cases_open_{column}",
                column,
                "sla_due_at",
                "id",
                postgresql_include=[c for c in OPEN_BOARD_COLUMNS if c != column],
                postgresql_where=sql("status = 'open'"),
                sqlite_where=sql("status = 'open'"),
            )
            for column in OPEN_BOARD_FILTERS
        ),
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
    # Why the triage called the case urgent: the danger and "now" cues of its urgent messages,
    # in the writers' words (vocabulary phrases, never whole messages); None when not urgent.
    urgency_cues: Mapped[list[str] | None] = mapped_column(JsonType)
    triage_confidence: Mapped[float] = mapped_column(Float, default=0.0)
    needs_human_triage: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sql("false")
    )
    # the trained model version that triaged the case (None: the rules alone)
    triage_model: Mapped[str | None] = mapped_column(String(64))
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
        return case_reference(self.id)


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
        CheckConstraint(one_of("kind", SLA_EVENT_KINDS), name="kind"),
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
        CheckConstraint(one_of("status", TIP_STATUSES), name="status"),
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
    # when the tip became urgent (at or after received_at): its urgent alerts are due then
    urgent_since: Mapped[datetime | None]
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


# The tips board's order (urgent first, then oldest): its pages are read off an index, the open
# tips' off their own (they are the newest, at the far end of the first).
Index("ix_tips_board_order", Tip.urgent.desc(), Tip.received_at, Tip.id)
Index(
    "ix_tips_open_board_order",
    Tip.urgent.desc(),
    Tip.received_at,
    Tip.id,
    postgresql_where=sql("status IN ('new', 'verifying')"),
    sqlite_where=sql("status IN ('new', 'verifying')"),
)
# The open tips of a level or of a unit subtree: counted and paged off these alone (0017), not
# by reading every open tip and dropping the others.
Index(
    "ix_tips_open_level_order",
    Tip.escalation_level,
    Tip.urgent.desc(),
    Tip.received_at,
    Tip.id,
    postgresql_where=sql("status IN ('new', 'verifying')"),
    sqlite_where=sql("status IN ('new', 'verifying')"),
)
Index(
    "ix_tips_open_unit_order",
    Tip.unit_id,
    Tip.urgent.desc(),
    Tip.received_at,
    Tip.id,
    postgresql_where=sql("status IN ('new', 'verifying')"),
    sqlite_where=sql("status IN ('new', 'verifying')"),
)


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


class FirstResponseWeek(Base):
    """The median time to a first reply over a week, per unit and every unit below it: what the
    overview shows, kept by the SLA check (`citizen_desk.sla.first_responses`) so that the page
    reads a row per unit instead of every reply of the week.

    `week_start` is the local Monday 00:00 (the deployment's time zone) as a UTC instant; the row
    counts the cases whose first reply came in [week_start, `counted_until`]. Every unit of the
    tree has a row once its week is computed (`responses` 0 and `median_seconds` None when none).
    """

    __tablename__ = "first_response_weeks"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    week_start: Mapped[datetime] = mapped_column(primary_key=True)
    responses: Mapped[int] = mapped_column(Integer)
    median_seconds: Mapped[float | None] = mapped_column(Float)
    counted_until: Mapped[datetime]
    computed_at: Mapped[datetime]
