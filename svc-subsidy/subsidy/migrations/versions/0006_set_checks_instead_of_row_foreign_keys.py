"""Set-based checks of where lines and ledger entries point, instead of per-row foreign keys.

Why: a county's submission writes ~2·10⁵ ledger entries and its run ~10⁵ settlement lines in one
statement each; the foreign keys checked every row on its own (a lookup and a row lock in the
referenced table, two per entry): on the bench two thirds of those statements. Now, on PostgreSQL:
- `ledger_entries`: the statement trigger of 0003 (transition table) also refuses, once per
  statement, entries whose transfer or account does not exist (a join over the new rows);
  accounts can no longer be deleted (they were kept by the foreign key), like transfers and
  entries (0002);
- `settlement_lines`: a statement trigger refuses lines of an unknown settlement, and one on
  `settlements` refuses deleting a settlement that has lines;
- the index on `settlement_lines.settlement_id` goes: the unique (settlement, elder, month,
  kind) index leads with it and serves every query by settlement; the one on `elder_id` becomes
  partial (construction lines only: the one query by elder is the construction paid before).
On SQLite (tests, dev) row triggers do the same checks (the tables are rebuilt without the
foreign keys, the ledger's immutability triggers are put back).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PG_UP = (
    "ALTER TABLE ledger_entries DROP CONSTRAINT IF EXISTS ledger_entries_account_id_fkey",
    "ALTER TABLE ledger_entries DROP CONSTRAINT IF EXISTS ledger_entries_transfer_id_fkey",
    "ALTER TABLE settlement_lines DROP CONSTRAINT IF EXISTS settlement_lines_settlement_id_fkey",
    "DROP INDEX IF EXISTS ix_settlement_lines_settlement_id",
    "DROP INDEX IF EXISTS ix_settlement_lines_elder_id",
    "CREATE INDEX ix_settlement_lines_construction_elder ON settlement_lines (elder_id) "
    "WHERE kind = 'construction'",
    """
CREATE OR REPLACE FUNCTION ledger_entries_with_their_transfer() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE stray text;
BEGIN
  SELECT a.transfer_id INTO stray FROM added a
    LEFT JOIN ledger_transfers t ON t.id = a.transfer_id WHERE t.id IS NULL LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry of unknown transfer %', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT a.account_id INTO stray FROM added a
    LEFT JOIN ledger_accounts c ON c.id = a.account_id WHERE c.id IS NULL LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry of unknown account %', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  -- the transfer row must be this transaction's own: its sum is checked at this commit
  SELECT a.transfer_id INTO stray FROM added a
    JOIN ledger_transfers t ON t.id = a.transfer_id
   WHERE t.xmin <> pg_current_xact_id()::xid
   LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transfer % is already recorded: its entries are closed (post a new '
      'transfer instead)', stray USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER ledger_accounts_immutable BEFORE UPDATE OR DELETE ON ledger_accounts "
    "FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()",
    "REVOKE UPDATE, DELETE, TRUNCATE ON ledger_accounts FROM PUBLIC",
    """
CREATE FUNCTION settlement_lines_of_a_settlement() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stray text;
BEGIN
  SELECT a.settlement_id INTO stray FROM added a
    LEFT JOIN settlements s ON s.id = a.settlement_id WHERE s.id IS NULL LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'settlement line of unknown settlement %', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER settlement_lines_known_settlement AFTER INSERT ON settlement_lines "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
    "EXECUTE FUNCTION settlement_lines_of_a_settlement()",
    """
CREATE FUNCTION settlements_keep_their_lines() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stray text;
BEGIN
  SELECT r.id INTO stray FROM removed r
    JOIN settlement_lines l ON l.settlement_id = r.id LIMIT 1;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'settlement % has lines: not deleted', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE TRIGGER settlements_keep_their_lines AFTER DELETE ON settlements "
    "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT "
    "EXECUTE FUNCTION settlements_keep_their_lines()",
)

PG_DOWN = (
    "DROP TRIGGER IF EXISTS settlements_keep_their_lines ON settlements",
    "DROP FUNCTION IF EXISTS settlements_keep_their_lines()",
    "DROP TRIGGER IF EXISTS settlement_lines_known_settlement ON settlement_lines",
    "DROP FUNCTION IF EXISTS settlement_lines_of_a_settlement()",
    "DROP TRIGGER IF EXISTS ledger_accounts_immutable ON ledger_accounts",
    "CREATE INDEX ix_settlement_lines_settlement_id ON settlement_lines (settlement_id)",
    "DROP INDEX IF EXISTS ix_settlement_lines_construction_elder",
    "CREATE INDEX ix_settlement_lines_elder_id ON settlement_lines (elder_id)",
    "ALTER TABLE settlement_lines ADD CONSTRAINT settlement_lines_settlement_id_fkey "
    "FOREIGN KEY (settlement_id) REFERENCES settlements (id)",
    "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_transfer_id_fkey "
    "FOREIGN KEY (transfer_id) REFERENCES ledger_transfers (id)",
    "ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_account_id_fkey "
    "FOREIGN KEY (account_id) REFERENCES ledger_accounts (id)",
)

# SQLite: reflected foreign keys get these names so the rebuilt tables can leave them out
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s"}
SQLITE_CHECKS = (
    "CREATE TRIGGER ledger_entries_known AFTER INSERT ON ledger_entries "
    "WHEN NOT EXISTS (SELECT 1 FROM ledger_transfers WHERE id = NEW.transfer_id) "
    "OR NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE id = NEW.account_id) "
    "BEGIN SELECT RAISE(ABORT, 'ledger entry of an unknown transfer or account'); END",
    "CREATE TRIGGER settlement_lines_known AFTER INSERT ON settlement_lines "
    "WHEN NOT EXISTS (SELECT 1 FROM settlements WHERE id = NEW.settlement_id) "
    "BEGIN SELECT RAISE(ABORT, 'settlement line of an unknown settlement'); END",
    # the rebuilt ledger_entries lost 0002's immutability triggers: put back
    "CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END",
    "CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
    "BEGIN SELECT RAISE(ABORT, 'ledger rows are immutable'); END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:  # asyncpg: one command per statement
            op.execute(statement)
        return
    with op.batch_alter_table("ledger_entries", naming_convention=NAMING) as batch:
        batch.drop_constraint("fk_ledger_entries_account_id", type_="foreignkey")
        batch.drop_constraint("fk_ledger_entries_transfer_id", type_="foreignkey")
    with op.batch_alter_table("settlement_lines", naming_convention=NAMING) as batch:
        batch.drop_constraint("fk_settlement_lines_settlement_id", type_="foreignkey")
        batch.drop_index("ix_settlement_lines_settlement_id")
        batch.drop_index("ix_settlement_lines_elder_id")
        batch.create_index(
            "ix_settlement_lines_construction_elder",
            ["elder_id"],
            sqlite_where=sa.text("kind = 'construction'"),
        )
    for statement in SQLITE_CHECKS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_entries_known")
    op.execute("DROP TRIGGER IF EXISTS settlement_lines_known")
    with op.batch_alter_table("settlement_lines") as batch:
        batch.create_foreign_key(None, "settlements", ["settlement_id"], ["id"])
        batch.create_index("ix_settlement_lines_settlement_id", ["settlement_id"])
        batch.drop_index("ix_settlement_lines_construction_elder")
        batch.create_index("ix_settlement_lines_elder_id", ["elder_id"])
    with op.batch_alter_table("ledger_entries") as batch:
        batch.create_foreign_key(None, "ledger_transfers", ["transfer_id"], ["id"])
        batch.create_foreign_key(None, "ledger_accounts", ["account_id"], ["id"])
