"""Cases keep why they are urgent: `cases.urgency_cues`, the cues the triage's urgency fired on.

Urgency is a property of the situation, whatever the category (issue #18): a missing child
filed as lost & found is urgent too. The case page, the tip page and the SLA board show the
cues next to the "khẩn" badge; a case triaged before this revision has none until its next
message is collected.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: on SQLite a batch would rebuild `cases`, which messages, turns,
# SLA events and tips refer to (SQLite adds and, from 3.35, drops a column in place).


def upgrade() -> None:
    op.add_column(
        "cases",
        sa.Column(
            "urgency_cues",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("cases", "urgency_cues")
