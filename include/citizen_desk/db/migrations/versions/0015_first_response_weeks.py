"""The overview's weekly median first reply, kept per unit: `first_response_weeks`; the SLA
board's index of open cases, `ix_cases_open_board`.

The overview took the median time to a first reply of the week over every reply of the week
(32k at 1M cases), so the page grew with the province's traffic. The SLA check now keeps, per
unit (its subtree included) and week, the count and median (`citizen_desk.sla.first_responses`);
the page reads a row per unit. No backfill here: the next SLA check computes the current week,
and until then the page computes it from the cases as before.

The SLA board counted the open cases its filters match from the table (7.6k rows over 2k pages at
1M cases); the partial index holds what its filters and order read, for an index-only scan on
PostgreSQL (SQLite: the key columns only).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "first_response_weeks",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("week_start", UtcDateTime(timezone=True), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("median_seconds", sa.Float(), nullable=True),
        sa.Column("counted_until", UtcDateTime(timezone=True), nullable=False),
        sa.Column("computed_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_first_response_weeks_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("unit_id", "week_start", name=op.f("pk_first_response_weeks")),
    )

    op.create_index(
        "ix_cases_open_board",
        "cases",
        ["sla_due_at", "id"],
        postgresql_include=[
            "awaiting_since", "opened_at", "category", "unit_id", "channel_id", "sla_warn_at",
            "sla_breached", "needs_human_triage",
        ],
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_cases_open_board", table_name="cases")
    op.drop_table("first_response_weeks")
