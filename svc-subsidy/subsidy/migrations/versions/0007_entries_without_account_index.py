"""The index on `ledger_entries.account_id` goes: no query looks entries up by account.

Why: balances sum every entry by account (a scan), the reports filter accounts by prefix (LIKE,
which this index cannot serve), the payment reads a transfer's entries by transfer; the index
cost a third of the index work of every entry written (~2·10⁵ a county month).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain DROP INDEX on both dialects (no SQLite table rebuild: its triggers stay)
    op.drop_index("ix_ledger_entries_account_id", table_name="ledger_entries")


def downgrade() -> None:
    op.create_index("ix_ledger_entries_account_id", "ledger_entries", ["account_id"])
