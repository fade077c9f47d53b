"""Baseline: the chassis outbox and processed_events tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from chassis.migrations import create_chassis_tables, drop_chassis_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_chassis_tables(op)


def downgrade() -> None:
    drop_chassis_tables(op)
