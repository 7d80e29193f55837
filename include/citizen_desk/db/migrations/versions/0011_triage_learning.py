"""Learning from officers (issue 18): triage corrections and the trained model's versions.

- `triage_corrections`: one row per corrected case (unique `case_id`, so a repeated POST changes
  nothing): the triage's prediction (category, urgency, confidence, model version) and the
  officer's verdict, who and when; `closed_tip_id` is the open tip a correction away from `tip`
  closed (reopened if the case is corrected back);
- `triage_models`: every version of the trained model (JSON artifact, figures, status champion /
  challenger / retired; a partial unique index allows one champion; `week` is the natural key of
  the weekly retrain);
- `cases.triage_model`: the model version that triaged the case.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from citizen_desk.db.types import JsonType, UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CATEGORIES = "('question', 'tip', 'feedback', 'lost_found', 'abuse', 'other')"
CHAMPION = "status = 'champion'"


def upgrade() -> None:
    # plain ALTER TABLE (SQLite too): a batch would rebuild `cases`, which many tables refer to
    op.add_column("cases", sa.Column("triage_model", sa.String(length=64), nullable=True))
    op.create_table(
        "triage_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("predicted_category", sa.String(length=16), nullable=False),
        sa.Column("predicted_urgent", sa.Boolean(), nullable=False),
        sa.Column("predicted_confidence", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("corrected_by", sa.String(length=128), nullable=False),
        sa.Column("corrected_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("first_corrected_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_tip_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            f"predicted_category IN {CATEGORIES}",
            name=op.f("ck_triage_corrections_predicted_category"),
        ),
        sa.CheckConstraint(
            f"category IN {CATEGORIES}", name=op.f("ck_triage_corrections_category")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_triage_corrections_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["closed_tip_id"], ["tips.id"], name=op.f("fk_triage_corrections_closed_tip_id_tips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_corrections")),
        sa.UniqueConstraint("case_id", name=op.f("uq_triage_corrections_case_id")),
    )
    op.create_index("ix_triage_corrections_corrected_at", "triage_corrections", ["corrected_at"])
    op.create_table(
        "triage_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("artifact", JsonType, nullable=False),
        sa.Column("figures", JsonType, nullable=True),
        sa.Column("evaluated_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("champion_since", UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('champion', 'challenger', 'retired')", name=op.f("ck_triage_models_status")
        ),
        sa.CheckConstraint(
            "origin IN ('shipped', 'retrained')", name=op.f("ck_triage_models_origin")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_models")),
        sa.UniqueConstraint("version", name=op.f("uq_triage_models_version")),
        sa.UniqueConstraint("week", name=op.f("uq_triage_models_week")),
    )
    op.create_index(
        "ix_triage_models_one_champion",
        "triage_models",
        ["status"],
        unique=True,
        postgresql_where=sa.text(CHAMPION),
        sqlite_where=sa.text(CHAMPION),
    )


def downgrade() -> None:
    op.drop_index("ix_triage_models_one_champion", table_name="triage_models")
    op.drop_table("triage_models")
    op.drop_index("ix_triage_corrections_corrected_at", table_name="triage_corrections")
    op.drop_table("triage_corrections")
    op.drop_column("cases", "triage_model")  # SQLite >= 3.35 drops a column in place
