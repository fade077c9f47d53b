"""service archive

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "kind", "type", "ref", name="uq_archive_entry"),
    )
    with op.batch_alter_table("archive_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_archive_entries_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_entries_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_archive_entries_elder_id"), ["elder_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_entries_elder_id"))
        batch_op.drop_index(batch_op.f("ix_archive_entries_bed_id"))
        batch_op.drop_index(batch_op.f("ix_archive_entries_at"))

    op.drop_table("archive_entries")
