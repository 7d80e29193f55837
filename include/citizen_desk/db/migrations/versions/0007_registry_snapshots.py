"""Registry snapshots: the last valid registry, for runs to fall back on when the file breaks.

A run that finds `registry.yaml` valid stores its canonical content (one row per SHA-256);
when the file later fails validation, runs log the problems, alert the admins and carry on
with the snapshot whose `last_valid_at` is the latest.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("loaded_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_valid_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_snapshots")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_registry_snapshots_content_hash")),
    )
    op.create_index("ix_registry_snapshots_last_valid_at", "registry_snapshots", ["last_valid_at"])


def downgrade() -> None:
    op.drop_index("ix_registry_snapshots_last_valid_at", table_name="registry_snapshots")
    op.drop_table("registry_snapshots")
