"""Notifications: the `digested` status (delivered inside a digest message).

When many non-urgent notifications are due for one recipient at once, the deliverer sends one
digest (`citizen_desk.notify.digest`) and marks each covered row `digested`, naming the digest's
key in `last_error`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "sending", "sent", "failed", "blocked", "superseded")
NEW_STATUSES = (*OLD_STATUSES, "digested")


def _check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_status"), _check(NEW_STATUSES)
        )


def downgrade() -> None:
    # The old schema has no `digested`: the digest row itself records the delivery.
    op.execute("UPDATE notifications SET status = 'sent' WHERE status = 'digested'")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_notifications_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_notifications_status"), _check(OLD_STATUSES)
        )
