"""discharge links: the application completing a partner hospital's discharge referral

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discharge_referral_id", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_applications_discharge_referral_id", ["discharge_referral_id"]
        )
    with op.batch_alter_table("discharge_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("discharge_applications", schema=None) as batch_op:
        batch_op.drop_column("application_id")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint("uq_applications_discharge_referral_id", type_="unique")
        batch_op.drop_column("discharge_referral_id")
