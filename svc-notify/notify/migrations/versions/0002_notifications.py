"""svc-notify: recipients, on-call schedules, beds, alarm chains, deliveries, attempts, inbox.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_chains",
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_type", sa.String(length=64), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_event_id", sa.String(length=64), nullable=False),
        sa.Column("step_rule_id", sa.String(length=64), nullable=False),
        sa.Column("step_started_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_round_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("repeat_no", sa.Integer(), nullable=False),
        sa.Column("repeat_minutes", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("raised_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("arrival_deadline", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.Column("acknowledged_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("next_round_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("alarm_id"),
    )
    op.create_index(
        op.f("ix_alarm_chains_next_round_at"), "alarm_chains", ["next_round_at"], unique=False
    )
    op.create_index(op.f("ix_alarm_chains_state"), "alarm_chains", ["state"], unique=False)
    op.create_table(
        "beds",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("elder_name_masked", sa.String(length=100), nullable=True),
        sa.Column("address_masked", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source_event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("repeat_no", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=128), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("bed_id", sa.String(length=64), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("event_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("channel_used", sa.String(length=32), nullable=True),
        sa.Column("ack_code", sa.String(length=8), nullable=True),
        sa.Column("digest_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "source_event_id", "step", "recipient_id", "repeat_no", name="uq_delivery_once"
        ),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"], unique=False)
    op.create_index(
        "ix_deliveries_recipient_sent", "deliveries", ["recipient_id", "sent_at"], unique=False
    )
    op.create_index(op.f("ix_deliveries_subject"), "deliveries", ["subject"], unique=False)
    op.create_table(
        "delivery_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_delivery_attempts_delivery_id"), "delivery_attempts", ["delivery_id"], unique=False
    )
    op.create_table(
        "inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=140), nullable=False),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("safety", sa.Boolean(), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("read_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id"),
    )
    op.create_index("ix_inbox_owner", "inbox", ["owner", "id"], unique=False)
    op.create_table(
        "on_call_overrides",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("starts_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_on_call_overrides_schedule_id"), "on_call_overrides", ["schedule_id"], unique=False
    )
    op.create_table(
        "on_call_schedules",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("starts_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_id", "role", name="uq_schedule_role"),
    )
    op.create_table(
        "recipients",
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("region_codes", sa.JSON(), nullable=False),
        sa.Column("bed_ids", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("phone_masked", sa.String(length=20), nullable=True),
        sa.Column("phone_index", sa.String(length=64), nullable=True),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret_sealed", sa.Text(), nullable=True),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
        sa.UniqueConstraint("phone_index"),
    )
    op.create_index(op.f("ix_recipients_provider_id"), "recipients", ["provider_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_recipients_provider_id"), table_name="recipients")
    op.drop_table("recipients")
    op.drop_table("on_call_schedules")
    op.drop_index(op.f("ix_on_call_overrides_schedule_id"), table_name="on_call_overrides")
    op.drop_table("on_call_overrides")
    op.drop_index("ix_inbox_owner", table_name="inbox")
    op.drop_table("inbox")
    op.drop_index(op.f("ix_delivery_attempts_delivery_id"), table_name="delivery_attempts")
    op.drop_table("delivery_attempts")
    op.drop_index(op.f("ix_deliveries_subject"), table_name="deliveries")
    op.drop_index("ix_deliveries_recipient_sent", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("beds")
    op.drop_index(op.f("ix_alarm_chains_next_round_at"), table_name="alarm_chains")
    op.drop_index(op.f("ix_alarm_chains_state"), table_name="alarm_chains")
    op.drop_table("alarm_chains")
