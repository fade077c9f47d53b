"""The platform update of a bed's end (001 §四(六)): its deadline and when the end was recorded,
for the overdue-updates gauge.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("supervised_beds", sa.Column("update_deadline", sa.Date, nullable=True))
    op.add_column("supervised_beds", sa.Column("end_recorded_at", UtcDateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("supervised_beds", "end_recorded_at")
    op.drop_column("supervised_beds", "update_deadline")
