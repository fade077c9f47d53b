"""Platform acceptances: the source of Changning's platform subsidy (002 §八3).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_acceptances",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id"),
    )


def downgrade() -> None:
    op.drop_table("platform_acceptances")
