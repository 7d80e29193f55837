"""Publications: Zalo OA articles (the creation job's token) and their optional broadcast.

`platform_job_token` keeps the token `article/create` answers before the article has an id, so a
crash between create and verify resumes with verify instead of creating a second article.
`broadcast_status` (`sending` / `sent` / `deferred` / `failed:<code>`) and `broadcast_message_id`
record the optional broadcast of the article to the OA's followers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_job_token", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("broadcast_status", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("broadcast_message_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.drop_column("broadcast_message_id")
        batch_op.drop_column("broadcast_status")
        batch_op.drop_column("platform_job_token")
