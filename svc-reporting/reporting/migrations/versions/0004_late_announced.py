"""When a day's late T+1 report was announced (`city_report.late`, once per day).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_batches", sa.Column("late_announced_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("report_batches", "late_announced_at")
