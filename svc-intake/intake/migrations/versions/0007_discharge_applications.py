"""discharge applications: a partner hospital's discharge referral opens a pre-filled application

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "discharge_applications",
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("hospital_id", sa.String(length=64), nullable=False),
        sa.Column("hospital_name", sa.String(length=200), nullable=True),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("expected_discharge_on", sa.Date(), nullable=False),
        sa.Column("follow_up_visit_on", sa.Date(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("referral_status", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("last_event_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("referral_id"),
    )
    with op.batch_alter_table("discharge_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_discharge_applications_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discharge_applications_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_discharge_applications_status"), ["status"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("discharge_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discharge_applications_status"))
        batch_op.drop_index(batch_op.f("ix_discharge_applications_region_code"))
        batch_op.drop_index(batch_op.f("ix_discharge_applications_provider_id"))

    op.drop_table("discharge_applications")
