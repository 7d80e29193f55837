"""Acknowledgements record the tip's unit when they were given.

An acknowledgement used to belong to (tip, level) only, so after a tip was reassigned to another
chain the old unit's acknowledgement kept silencing the new unit's reminders. The escalation
sweep now counts an acknowledgement only while the unit answerable at its level is the same as
when it was given. Existing rows get the tip's current unit, which is exact for tips never
reassigned; for tips reassigned before this revision they behave as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tip_acknowledgements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE tip_acknowledgements SET unit_id = "
        "(SELECT tips.unit_id FROM tips WHERE tips.id = tip_acknowledgements.tip_id)"
    )
    with op.batch_alter_table("tip_acknowledgements", schema=None) as batch_op:
        batch_op.alter_column("unit_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_tip_acknowledgements_tip_id_level", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_tip_acknowledgements_tip_id_level_unit_id"),
            ["tip_id", "level", "unit_id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tip_acknowledgements_unit_id_units"), "units", ["unit_id"], ["id"]
        )


def downgrade() -> None:
    # Keep the earliest acknowledgement per (tip, level), as the old constraint allowed one.
    op.execute(
        "DELETE FROM tip_acknowledgements WHERE id NOT IN "
        "(SELECT MIN(id) FROM tip_acknowledgements GROUP BY tip_id, level)"
    )
    with op.batch_alter_table("tip_acknowledgements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tip_acknowledgements_unit_id_units"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_tip_acknowledgements_tip_id_level_unit_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_tip_acknowledgements_tip_id_level"), ["tip_id", "level"]
        )
        batch_op.drop_column("unit_id")
