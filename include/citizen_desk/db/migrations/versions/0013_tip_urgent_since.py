"""Tips keep when they became urgent: `tips.urgent_since`.

A tip can turn urgent days after it came in (a new message in its thread, an officer's
correction). Its urgent alerts are due then, not at `received_at`: a chief is pinged when the
danger is reported, and a 4-day-old tip that turns urgent now is not judged a stale catch-up.
Tips urgent before this revision became urgent, as far as we know, when they came in.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: on SQLite a batch would rebuild `tips`, which notifications and
# acknowledgements refer to.


def upgrade() -> None:
    op.add_column("tips", sa.Column("urgent_since", UtcDateTime(timezone=True), nullable=True))
    op.execute("UPDATE tips SET urgent_since = received_at WHERE urgent")


def downgrade() -> None:
    op.drop_column("tips", "urgent_since")
