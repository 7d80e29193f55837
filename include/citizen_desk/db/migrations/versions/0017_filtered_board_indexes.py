"""Indexes for the filtered boards (issue #21): each filter reads only the open rows it matches.

A filtered board counted and ordered its rows by reading every open row and dropping the others:
the SLA board by unit subtree, category or channel walked all of `ix_cases_open_board` (7.6k
entries at 1M cases for 857 tips), the tips board at a level or of a unit subtree all open tips
from the heap (5.5k for 554 at level 2), both twice for the tips board (the count, the page).
The open rows grow with the province's traffic, so these did too. One partial index per filter,
led by its column:

- `ix_cases_open_unit_id`, `ix_cases_open_category`, `ix_cases_open_channel_id`: open cases by
  the filter, then the board's deadline and id; covering the board's other columns on PostgreSQL
  (an index-only scan, as `ix_cases_open_board`), the key columns only on SQLite;
- `ix_tips_open_level_order`, `ix_tips_open_unit_order`: open tips by escalation level or unit,
  then the board's order (urgent first, oldest first, id), so a level's page is read in order
  and its count off the index alone.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN_CASE = "status = 'open'"
OPEN_TIP = "status IN ('new', 'verifying')"
# `models.cases.OPEN_BOARD_COLUMNS` as of this revision (a migration does not follow the models)
BOARD_COLUMNS = (
    "awaiting_since", "opened_at", "category", "unit_id", "channel_id", "sla_warn_at",
    "sla_breached", "needs_human_triage",
)  # fmt: skip
CASE_FILTERS = ("unit_id", "category", "channel_id")
TIP_FILTERS = {"level": "escalation_level", "unit": "unit_id"}
TIP_ORDER: list[str | sa.TextClause] = [sa.text("urgent DESC"), "received_at", "id"]


def upgrade() -> None:
    for column in CASE_FILTERS:
        op.create_index(
            f"ix_cases_open_{column}",
            "cases",
            [column, "sla_due_at", "id"],
            postgresql_include=[c for c in BOARD_COLUMNS if c != column],
            postgresql_where=sa.text(OPEN_CASE),
            sqlite_where=sa.text(OPEN_CASE),
        )
    for name, column in TIP_FILTERS.items():
        op.create_index(
            f"ix_tips_open_{name}_order",
            "tips",
            [column, *TIP_ORDER],
            postgresql_where=sa.text(OPEN_TIP),
            sqlite_where=sa.text(OPEN_TIP),
        )


def downgrade() -> None:
    for name in reversed(TIP_FILTERS):
        op.drop_index(f"ix_tips_open_{name}_order", table_name="tips")
    for column in reversed(CASE_FILTERS):
        op.drop_index(f"ix_cases_open_{column}", table_name="cases")
