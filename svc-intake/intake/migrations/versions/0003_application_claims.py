"""Applications: the name as entered, duplicate_of (hidden duplicate review), one-time link code.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("link_code_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("link_code_expires_at", UtcDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_applications_link_code_hash"), ["link_code_hash"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_link_code_hash"))
        batch_op.drop_column("link_code_expires_at")
        batch_op.drop_column("link_code_hash")
        batch_op.drop_column("duplicate_of")
        batch_op.drop_column("name")
