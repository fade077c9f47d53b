"""Issue 10 walk-through: alarm region, arrival check-in, two-person close; device location;
rule/escalation reasons and their audit; the provider's worker registry.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from chassis.db import BigIntId, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alarms") as batch_op:
        batch_op.add_column(sa.Column("region_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("arrival_lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("arrival_lon", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("arrival_distance_m", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("close_requested_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("close_requested_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("close_confirmed_by", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_alarms_assignee", ["assignee", "raised_at"], unique=False)
        batch_op.create_index("ix_alarms_region_raised", ["region_code", "raised_at"], unique=False)
    with op.batch_alter_table("devices") as batch_op:
        batch_op.add_column(sa.Column("location_label", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("lon", sa.Float(), nullable=True))
    with op.batch_alter_table("bed_rule_overrides") as batch_op:
        batch_op.add_column(sa.Column("disabled", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
    with op.batch_alter_table("escalation_policies") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
    op.create_table(
        "monitoring_changes",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("changed_by", sa.String(length=200), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_monitoring_changes_provider", "monitoring_changes", ["provider_id", "id"], unique=False
    )
    op.create_index(
        "ix_monitoring_changes_region", "monitoring_changes", ["region_code", "id"], unique=False
    )
    op.create_table(
        "workers",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", "worker_id", name="pk_workers"),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_index("ix_monitoring_changes_region", table_name="monitoring_changes")
    op.drop_index("ix_monitoring_changes_provider", table_name="monitoring_changes")
    op.drop_table("monitoring_changes")
    with op.batch_alter_table("escalation_policies") as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("bed_rule_overrides") as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("disabled")
    with op.batch_alter_table("devices") as batch_op:
        for name in ("lon", "lat", "location_label"):
            batch_op.drop_column(name)
    with op.batch_alter_table("alarms") as batch_op:
        batch_op.drop_index("ix_alarms_region_raised")
        batch_op.drop_index("ix_alarms_assignee")
        for name in (
            "close_confirmed_by", "close_requested_at", "close_requested_by",
            "arrival_distance_m", "arrival_lon", "arrival_lat", "region_code",
        ):  # fmt: skip
            batch_op.drop_column(name)
