"""Slack interactions: the signed button clicks that were accepted, one row per signature.

The "Đã nhận" button of a tip alert posts a signed request to the Citizen Desk page; the
signature (over the timestamp and the body) is unique here, so a replayed request is refused
before it is applied (`citizen_desk.notify.interactions`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.String(length=80), nullable=False),
        sa.Column("request_ts", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("slack_user", sa.String(length=32), nullable=False),
        sa.Column("action_id", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_interactions")),
        sa.UniqueConstraint("signature", name=op.f("uq_slack_interactions_signature")),
    )


def downgrade() -> None:
    op.drop_table("slack_interactions")
