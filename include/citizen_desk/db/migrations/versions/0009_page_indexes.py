"""Indexes the Citizen Desk pages need at national size (issue #21, `make bench` pages section).

- `ix_cases_first_response_at`: the overview's first responses of the week (a range, not a scan
  of every case);
- `ix_messages_inbound_created`: collection health counts each channel's citizen messages in
  a few 6-hour windows; partial (inbound only) and covering (`channel_id`), so the counts are
  read from the index alone;
- `ix_tips_board_order` and `ix_tips_open_board_order`: the tips board's order (urgent first,
  then oldest), so a page is read off an index instead of sorting every tip; the open tips have
  their own (partial) one, since they are the newest and sit at the far end of the first;
- `ix_collection_runs_channel_started`: collection health reads each channel's latest runs
  by `started_at` (the older index orders by `finished_at`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INBOUND = "direction = 'in'"
OPEN_TIP = "status IN ('new', 'verifying')"
BOARD_ORDER: list[str | sa.TextClause] = [sa.text("urgent DESC"), "received_at", "id"]


def upgrade() -> None:
    op.create_index("ix_cases_first_response_at", "cases", ["first_response_at"])
    op.create_index(
        "ix_messages_inbound_created",
        "messages",
        ["created_at", "channel_id"],
        postgresql_where=sa.text(INBOUND),
        sqlite_where=sa.text(INBOUND),
    )
    op.create_index("ix_tips_board_order", "tips", BOARD_ORDER)
    op.create_index(
        "ix_tips_open_board_order",
        "tips",
        BOARD_ORDER,
        postgresql_where=sa.text(OPEN_TIP),
        sqlite_where=sa.text(OPEN_TIP),
    )
    op.create_index(
        "ix_collection_runs_channel_started", "collection_runs", ["channel_id", "started_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_collection_runs_channel_started", table_name="collection_runs")
    op.drop_index("ix_tips_open_board_order", table_name="tips")
    op.drop_index("ix_tips_board_order", table_name="tips")
    op.drop_index("ix_messages_inbound_created", table_name="messages")
    op.drop_index("ix_cases_first_response_at", table_name="cases")
