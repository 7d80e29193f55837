"""Initial schema of the domain database.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import citizen_desk.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# audit_log is append-only: the database itself refuses UPDATE and DELETE.
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_PG_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def _create_audit_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=250), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_channel", sa.String(length=64), nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "next_attempt_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("sent_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("source", sa.String(length=250), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'blocked')",
            name=op.f("ck_notifications_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notifications_idempotency_key")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_status", ["status"], unique=False)

    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("duty_officer_slack", sa.String(length=32), nullable=True),
        sa.Column("chief_slack", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('province', 'district', 'city', 'town', 'commune', 'ward')",
            name=op.f("ck_units_kind"),
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"], name=op.f("fk_units_parent_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("code", name=op.f("uq_units_code")),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("connection_id", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("(true)"), nullable=False),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("platform IN ('facebook', 'zalo')", name=op.f("ck_channels_platform")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_channels_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("key", name=op.f("uq_channels_key")),
        sa.UniqueConstraint(
            "platform", "platform_id", name=op.f("uq_channels_platform_platform_id")
        ),
    )
    op.create_table(
        "citizens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("platform_user_id", sa.String(length=64), nullable=False),
        sa.Column("protected_display_name", sa.String(length=255), nullable=True),
        sa.Column(
            "protected_profile",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "first_seen_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_citizens_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizens")),
        sa.UniqueConstraint(
            "channel_id", "platform_user_id", name=op.f("uq_citizens_channel_id_platform_user_id")
        ),
    )
    op.create_table(
        "collection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_collection_runs_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_runs")),
        sa.UniqueConstraint(
            "run_id", "channel_id", name=op.f("uq_collection_runs_run_id_channel_id")
        ),
    )
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collection_runs_channel_finished", ["channel_id", "finished_at"], unique=False
        )

    op.create_table(
        "collection_watermarks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("watermark", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["channels.id"],
            name=op.f("fk_collection_watermarks_channel_id_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_watermarks")),
        sa.UniqueConstraint(
            "channel_id", "source", name=op.f("uq_collection_watermarks_channel_id_source")
        ),
    )
    op.create_table(
        "platform_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=False),
        sa.Column(
            "access_expires_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_platform_tokens_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_tokens")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_platform_tokens_channel_id")),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "figures",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("blocked_reason", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("platform_post_id", sa.String(length=128), nullable=True),
        sa.Column("published_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("report_path", sa.String(length=512), nullable=True),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'blocked', 'awaiting_approval', 'approved', 'rejected', 'publishing', 'published', 'dry_run', 'failed')",
            name=op.f("ck_publications_status"),
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_publications_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("channel_id", "period", name=op.f("uq_publications_channel_id_period")),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.Column("created_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_quarantine_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
        sa.UniqueConstraint(
            "channel_id", "payload_hash", name=op.f("uq_quarantine_channel_id_payload_hash")
        ),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("thread_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("triage_confidence", sa.Float(), nullable=False),
        sa.Column(
            "needs_human_triage", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("turn_no", sa.Integer(), nullable=False),
        sa.Column(
            "awaiting_since", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_citizen_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "first_response_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "last_response_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("sla_warn_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sla_due_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sla_breached", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("permalink", sa.String(length=512), nullable=True),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "category IN ('question', 'tip', 'feedback', 'lost_found', 'abuse', 'other')",
            name=op.f("ck_cases_category"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'answered', 'closed')", name=op.f("ck_cases_status")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_cases_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_cases_citizen_id_citizens")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_cases_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint(
            "channel_id", "thread_key", name=op.f("uq_cases_channel_id_thread_key")
        ),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cases_open_awaiting",
            ["awaiting_since"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
        batch_op.create_index("ix_cases_opened_at", ["opened_at"], unique=False)

    op.create_table(
        "case_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("turn_no", sa.Integer(), nullable=False),
        sa.Column("started_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_turns_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_turns")),
        sa.UniqueConstraint("case_id", "turn_no", name=op.f("uq_case_turns_case_id_turn_no")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("platform_message_id", sa.String(length=128), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("thread_key", sa.String(length=128), nullable=False),
        sa.Column("parent_platform_id", sa.String(length=128), nullable=True),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=True),
        sa.Column("topic", sa.String(length=32), nullable=True),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("collection_run_id", sa.String(length=250), nullable=True),
        sa.Column("collected_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_messages_direction")),
        sa.CheckConstraint(
            "kind IN ('messenger', 'comment', 'zalo')", name=op.f("ck_messages_kind")
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_messages_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_messages_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["citizen_id"], ["citizens.id"], name=op.f("fk_messages_citizen_id_citizens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint(
            "channel_id",
            "platform_message_id",
            name=op.f("uq_messages_channel_id_platform_message_id"),
        ),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_messages_channel_thread_created",
            ["channel_id", "thread_key", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_messages_created_at", ["created_at"], unique=False)

    op.create_table(
        "sla_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("turn_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("policy_version", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=250), nullable=True),
        sa.CheckConstraint("kind IN ('warning', 'breach')", name=op.f("ck_sla_events_kind")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_sla_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_events")),
        sa.UniqueConstraint(
            "case_id",
            "turn_no",
            "kind",
            "policy_version",
            name=op.f("uq_sla_events_case_id_turn_no_kind_policy_version"),
        ),
    )
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("received_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("extension_seconds", sa.Integer(), nullable=False),
        sa.Column("verified_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=128), nullable=True),
        sa.Column("closed_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("forwarded_to", sa.String(length=255), nullable=True),
        sa.Column("public_outcome", sa.Text(), nullable=True),
        sa.Column("public_outcome_by", sa.String(length=128), nullable=True),
        sa.Column("last_action", sa.String(length=64), nullable=True),
        sa.Column(
            "last_action_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("updated_at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status != 'forwarded' OR forwarded_to IS NOT NULL",
            name=op.f("ck_tips_forwarded_has_target"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'verifying', 'verified', 'unfounded', 'forwarded')",
            name=op.f("ck_tips_status"),
        ),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tips_case_id_cases")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_tips_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("case_id", name=op.f("uq_tips_case_id")),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tips_open_received",
            ["received_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('new', 'verifying')"),
            sqlite_where=sa.text("status IN ('new', 'verifying')"),
        )

    op.create_table(
        "tip_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=128), nullable=False),
        sa.Column("at", citizen_desk.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tip_id"], ["tips.id"], name=op.f("fk_tip_acknowledgements_tip_id_tips")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_acknowledgements")),
        sa.UniqueConstraint("tip_id", "level", name=op.f("uq_tip_acknowledgements_tip_id_level")),
    )

    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    op.drop_table("tip_acknowledgements")
    with op.batch_alter_table("tips", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_tips_open_received",
            postgresql_where=sa.text("status IN ('new', 'verifying')"),
            sqlite_where=sa.text("status IN ('new', 'verifying')"),
        )

    op.drop_table("tips")
    op.drop_table("sla_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_created_at")
        batch_op.drop_index("ix_messages_channel_thread_created")
        batch_op.drop_index(batch_op.f("ix_messages_case_id"))

    op.drop_table("messages")
    op.drop_table("case_turns")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_opened_at")
        batch_op.drop_index(
            "ix_cases_open_awaiting",
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )

    op.drop_table("cases")
    op.drop_table("quarantine")
    op.drop_table("publications")
    op.drop_table("platform_tokens")
    op.drop_table("collection_watermarks")
    with op.batch_alter_table("collection_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_collection_runs_channel_finished")

    op.drop_table("collection_runs")
    op.drop_table("citizens")
    op.drop_table("channels")
    op.drop_table("units")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status")

    op.drop_table("notifications")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_entity")

    op.drop_table("audit_log")
