"""roster: the elder's masked name and address (BedEvent, issue 10 item 15)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_beds") as batch:
        batch.add_column(sa.Column("elder_name_masked", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("address_masked", sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roster_beds") as batch:
        batch.drop_column("address_masked")
        batch.drop_column("elder_name_masked")
