"""Re-opened marks closed only for the facts a run saw: each mark gets a revision (bumped by
every new fact on the open mark) and a settlement records the marks its last run accounted for,
at the revision it read (`settlement_run_marks`); its approval closes exactly those
(`domain/reopened_marks.py`). Before, an approval closed the marks recorded before its run's
time: a fact stamped before the run and committed after it was closed without being seen.

Backfill: every existing mark is at revision 1 (the column's default). No run marks are
written for the settlements already run: what those runs read is not known, and guessing it
from the clocks is the rule this replaces. So an approval of a settlement run before 0010
closes no mark; its marks stay open and the next run of the provider recomputes them (against
what was approved: an adjustment if something is owed, nothing otherwise) and accounts for
them. An open mark costs a recomputation; a mark closed too early, a lost fact.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reopened_periods", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
    op.create_table(
        "settlement_run_marks",
        sa.Column("settlement_id", sa.String(length=64), nullable=False),
        sa.Column(
            "mark_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id", "mark_id"),
    )


def downgrade() -> None:
    op.drop_table("settlement_run_marks")
    with op.batch_alter_table("reopened_periods", schema=None) as batch_op:
        batch_op.drop_column("revision")
