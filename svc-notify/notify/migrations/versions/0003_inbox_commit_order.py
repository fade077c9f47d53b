"""svc-notify: the inbox rows' writing transaction (PostgreSQL), for reading them in commit order.

A stream's poll read "rows after the last id I sent"; ids are taken at insert and rows commit
in another order, so a row committed late below that id was skipped. With the transaction id
(`xid8`, set by the server) a stream reads the rows committed since its previous read's
snapshot, whatever their id (notify/service/inbox.py). SQLite has one writer at a time: its
ids commit in order, and it gets no column.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE inbox ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX ix_inbox_owner_txid ON inbox (owner, txid)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_inbox_owner_txid")
    op.execute("ALTER TABLE inbox DROP COLUMN txid")
