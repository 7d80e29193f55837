"""Notifications: the `superseded` status and a delivery lane (`priority`).

A notification whose subject changed before it went out (the tip was closed, a higher level was
already sent, the level was acknowledged, the case was answered) is marked `superseded` with the
reason in `last_error` instead of being sent. `priority` is the delivery lane derived from the
kind (`citizen_desk.domain.lanes`); existing rows get theirs from their kind.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "sending", "sent", "failed", "blocked")
NEW_STATUSES = (*OLD_STATUSES, "superseded")
# Frozen copy of citizen_desk.domain.lanes at this revision (a migration must not change later).
LANES = {
    "admin_alert": 0,
    "pii_blocked": 0,
    "tip_urgent": 1,
    "tip_arrival": 2,
    "tip_escalation": 2,
    "tip_reminder": 2,
    "sla_breach": 3,
    "sla_warning": 4,
    "tip_digest": 5,
    "sla_digest": 5,
}
DEFAULT_LANE = 4


def _check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "priority", sa.Integer(), server_default=sa.text(str(DEFAULT_LANE)), nullable=False
            )
        )
        batch_op.drop_constraint(batch_op.f("ck_notifications_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_status"), _check(NEW_STATUSES)
        )
        batch_op.create_index(
            "ix_notifications_lane_due", ["priority", "next_attempt_at"], unique=False
        )
    for kind, lane in LANES.items():
        op.execute(
            sa.text("UPDATE notifications SET priority = :lane WHERE kind = :kind").bindparams(
                lane=lane, kind=kind
            )
        )


def downgrade() -> None:
    # The old schema has no `superseded`: such rows become `failed`, keeping their reason.
    op.execute("UPDATE notifications SET status = 'failed' WHERE status = 'superseded'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_lane_due")
        batch_op.drop_constraint(batch_op.f("ck_notifications_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_status"), _check(OLD_STATUSES)
        )
        batch_op.drop_column("priority")
