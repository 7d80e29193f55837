"""Redacted excerpts kept in the domain DB: `redacted_excerpts`.

A cold SLA or escalation sweep redacted the last message of every late case again, in every
process, a few milliseconds each: 10k cases turning late spent most of the sweep there. The
collection now keeps each open case's excerpt as alerts show it (keyed by a SHA-256 of the
redaction engine, the text and the protected names; no text or identity in the key), and the
sweeps read it back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redacted_excerpts",
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_redacted_excerpts")),
    )
    op.create_index("ix_redacted_excerpts_engine", "redacted_excerpts", ["engine"])


def downgrade() -> None:
    op.drop_index("ix_redacted_excerpts_engine", table_name="redacted_excerpts")
    op.drop_table("redacted_excerpts")
