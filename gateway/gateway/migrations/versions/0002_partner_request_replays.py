"""Replay memory of signed partner requests, shared by every gateway replica on this database.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_request_replays",
        sa.Column("token", sa.String(100), primary_key=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_partner_request_replays_expires_at", "partner_request_replays", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_partner_request_replays_expires_at", table_name="partner_request_replays")
    op.drop_table("partner_request_replays")
