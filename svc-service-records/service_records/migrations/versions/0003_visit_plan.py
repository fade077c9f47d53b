"""visit plan: plan items, tasks, roster planned_through

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("due_time", sa.String(length=5), nullable=False),
        sa.Column("before_minutes", sa.Integer(), nullable=False),
        sa.Column("after_minutes", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_items_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_plan_items_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("plan_key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closes_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("assignee_worker_id", sa.String(length=36), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "plan_key", "day", name="uq_task_plan_day"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tasks_assignee_worker_id"), ["assignee_worker_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tasks_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_closes_at"), ["closes_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_status"), ["status"], unique=False)

    with op.batch_alter_table("roster_beds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_through", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roster_beds", schema=None) as batch_op:
        batch_op.drop_column("planned_through")

    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_status"))
        batch_op.drop_index(batch_op.f("ix_tasks_provider_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_day"))
        batch_op.drop_index(batch_op.f("ix_tasks_closes_at"))
        batch_op.drop_index(batch_op.f("ix_tasks_bed_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_assignee_worker_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_items_provider_id"))
        batch_op.drop_index(batch_op.f("ix_plan_items_bed_id"))

    op.drop_table("plan_items")
