"""The bed alarm projection from iot.alarms.v1: the assignee of each open alarm of a bed (the
emergency contact is read only by them, issue 10 item 15).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bed_alarms",
        sa.Column("alarm_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id"),
    )
    with op.batch_alter_table("bed_alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bed_alarms_bed_id"), ["bed_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bed_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_alarms_bed_id"))
    op.drop_table("bed_alarms")
