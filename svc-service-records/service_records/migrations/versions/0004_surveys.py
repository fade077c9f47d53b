"""satisfaction surveys

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
        "surveys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("context", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("sent_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=True),
        sa.Column("respondent_sub", sa.String(length=128), nullable=True),
        sa.Column("respondent_role", sa.String(length=24), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "template", "context", name="uq_survey"),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_surveys_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_surveys_status"))
        batch_op.drop_index(batch_op.f("ix_surveys_region_code"))
        batch_op.drop_index(batch_op.f("ix_surveys_provider_id"))
        batch_op.drop_index(batch_op.f("ix_surveys_period"))
        batch_op.drop_index(batch_op.f("ix_surveys_bed_id"))

    op.drop_table("surveys")
