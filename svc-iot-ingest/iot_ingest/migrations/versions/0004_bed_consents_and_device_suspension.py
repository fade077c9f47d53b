"""Video consent (000 §三(三)): the deciding consent record per bed and scope, from intake's
`bed.consent_recorded` / `bed.consent_withdrawn`; a device suspended while a consent it needs is
not in force. Devices registered before stay as they are (no consent event has suspended them).

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
    with op.batch_alter_table("devices") as batch_op:
        batch_op.add_column(sa.Column("suspended_for", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("suspended_at", UtcDateTime(), nullable=True))
    op.create_table(
        "bed_consents",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("consent_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("bed_id", "scope", name="pk_bed_consents"),
    )


def downgrade() -> None:
    op.drop_table("bed_consents")
    with op.batch_alter_table("devices") as batch_op:
        batch_op.drop_column("suspended_at")
        batch_op.drop_column("suspended_for")
