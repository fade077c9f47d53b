"""Baseline: registry, alarms and feed, rule state, latest values, aggregates, chassis tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from chassis.db import BigIntId, UtcDateTime
from chassis.migrations import create_chassis_tables, drop_chassis_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_chassis_tables(op)
    op.create_table(
        "alarm_comments",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("alarm_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alarm_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_comments_alarm_id"), ["alarm_id"], unique=False)

    op.create_table(
        "alarm_feed",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alarm_feed", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_feed_provider_id", ["provider_id", "id"], unique=False)

    op.create_table(
        "alarms",
        sa.Column("alarm_id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("alarm_type", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("active_key", sa.String(length=120), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("raised_at", UtcDateTime(), nullable=False),
        sa.Column("last_raised_at", UtcDateTime(), nullable=True),
        sa.Column("arrival_deadline", UtcDateTime(), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=True),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("dispatched_by", sa.String(length=200), nullable=True),
        sa.Column("dispatched_at", UtcDateTime(), nullable=True),
        sa.Column("arrived_by", sa.String(length=200), nullable=True),
        sa.Column("arrived_at", UtcDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("condition_cleared_at", UtcDateTime(), nullable=True),
        sa.Column("escalated_levels", sa.JSON(), nullable=False),
        sa.Column("sla_breached", sa.Boolean(), nullable=False),
        sa.Column("next_check_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("alarm_id"),
        sa.UniqueConstraint("active_key"),
    )
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.create_index("ix_alarms_next_check", ["next_check_at"], unique=False)
        batch_op.create_index(
            "ix_alarms_provider_raised", ["provider_id", "raised_at"], unique=False
        )

    op.create_table(
        "bed_monitor_states",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    op.create_table(
        "bed_rule_overrides",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("overrides", sa.LargeBinary(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    op.create_table(
        "beds",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_beds_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "consumer_offsets",
        sa.Column("group_id", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "topic", "partition", name="pk_consumer_offsets"),
    )
    op.create_table(
        "device_event_receipts",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("alarm_id", sa.String(length=36), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_device_event_receipts"),
    )
    op.create_table(
        "devices",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(length=200), nullable=False),
        sa.Column("token_rotated_at", UtcDateTime(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("device_id"),
        sa.UniqueConstraint("device_type", "serial", name="uq_devices_type_serial"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_devices_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_devices_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "escalation_policies",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )
    op.create_table(
        "latest_values",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "metric", name="pk_latest_values"),
    )
    with op.batch_alter_table("latest_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_latest_values_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "minute_aggregates",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("minute", UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id", "metric", "minute", name="pk_minute_aggregates"),
    )


def downgrade() -> None:
    op.drop_table("minute_aggregates")
    with op.batch_alter_table("latest_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_latest_values_bed_id"))

    op.drop_table("latest_values")
    op.drop_table("escalation_policies")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_devices_provider_id"))
        batch_op.drop_index(batch_op.f("ix_devices_bed_id"))

    op.drop_table("devices")
    op.drop_table("device_event_receipts")
    op.drop_table("consumer_offsets")
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beds_provider_id"))

    op.drop_table("beds")
    op.drop_table("bed_rule_overrides")
    op.drop_table("bed_monitor_states")
    with op.batch_alter_table("alarms", schema=None) as batch_op:
        batch_op.drop_index("ix_alarms_provider_raised")
        batch_op.drop_index("ix_alarms_next_check")

    op.drop_table("alarms")
    with op.batch_alter_table("alarm_feed", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_feed_provider_id")

    op.drop_table("alarm_feed")
    with op.batch_alter_table("alarm_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_comments_alarm_id"))

    op.drop_table("alarm_comments")
    drop_chassis_tables(op)
