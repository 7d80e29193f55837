"""Publication revisions: an approver's corrected post text, stored only after the PII gate.

Edits used to come back through the approval request's free-text field, which Airflow stores in
its own tables (readable by every viewer) before our gate ran. They are now made on the Citizen
Desk publications page: `publication_revisions` keeps each gated text (numbered per post, with
the SHA-256 of the draft it corrects), and `publications.approved_revision` the number of the
revision an approval covered (None: the draft as rendered).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # publications first: on SQLite the batch rebuilds the table, better before anything refers
    # to it (and, in downgrade, after that is gone)
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_revision", sa.Integer(), nullable=True))
    op.create_table(
        "publication_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("base_hash", sa.String(length=64), nullable=False),
        sa.Column("edited_by", sa.String(length=128), nullable=False),
        sa.Column("edited_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_revisions_publication_id_publications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication_revisions")),
        sa.UniqueConstraint(
            "publication_id", "number", name=op.f("uq_publication_revisions_publication_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("publication_revisions")
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_column("approved_revision")
