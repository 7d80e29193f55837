"""The durable inbox of webhook events (`inbox_events`).

Every accepted Messenger / page-feed / Zalo OA webhook event is written here, unique per
(platform, event id), before the receiver answers 200; processing marks it `processed`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import citizen_desk.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copies of the vocabulary at this revision (a migration must not change later).
PLATFORMS = ("facebook", "zalo")
STATUSES = ("pending", "queued", "processed", "quarantined")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("received_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("claimed_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("processed_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_in("platform", PLATFORMS), name=op.f("ck_inbox_events_platform")),
        sa.CheckConstraint(_in("status", STATUSES), name=op.f("ck_inbox_events_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_events")),
        sa.UniqueConstraint(
            "platform", "event_key", name=op.f("uq_inbox_events_platform_event_key")
        ),
    )
    op.create_index(
        "ix_inbox_events_pending",
        "inbox_events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'queued')"),
        sqlite_where=sa.text("status IN ('pending', 'queued')"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_events_pending", table_name="inbox_events")
    op.drop_table("inbox_events")
