"""Kept excerpts carry the PII gate's verdict on them: `redacted_excerpts.verdict`.

A cold sweep judged every kept excerpt again, alone, as the gate does (the name tagger and the
rules, a few ms each): ~40 % of a sweep after a burst. The collection, which makes the excerpt,
now judges it then and keeps the verdict beside it: the finding kinds ("" when clean) and a
SHA-256 binding them to the engine's fingerprint, the case's protected names and the excerpt's
exact text (`privacy.excerpt.verdict_seal`). A sweep trusts a verdict only when that seal
matches what it is about to send; otherwise (an older row, another engine, an excerpt edited
since) it judges the excerpt again. Rows kept before this revision have no verdict.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (nullable columns), as 0013: SQLite adds and (>= 3.35) drops them in place.


def upgrade() -> None:
    op.add_column("redacted_excerpts", sa.Column("verdict", sa.Text(), nullable=True))
    op.add_column("redacted_excerpts", sa.Column("seal", sa.LargeBinary(32), nullable=True))


def downgrade() -> None:
    op.drop_column("redacted_excerpts", "seal")
    op.drop_column("redacted_excerpts", "verdict")
