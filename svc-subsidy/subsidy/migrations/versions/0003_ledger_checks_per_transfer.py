"""The ledger's sum-to-zero check per transfer instead of per entry; visits' covering index.

Why: the per-entry deferred constraint trigger (0002) ran once per ledger entry at commit, the
largest cost of a county's settlement (~10⁵ entries a month). Now (PostgreSQL):
- a deferred constraint trigger on `ledger_transfers` checks at commit that the transfer's
  entries sum to zero: one check per transfer;
- a statement trigger on `ledger_entries` (transition table) refuses entries whose transfer was
  not created in the same transaction, so no entry can be added to a transfer after its check
  ran; one call per INSERT statement.
The ledger stays immutable (0002's UPDATE/DELETE refusal is unchanged).

Visits: the month's aggregate per bed reads only the index (bed, date) with the value, the
duration and the counted flag included (PostgreSQL INCLUDE): no heap visit per row.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PG_UP = (
    "DROP TRIGGER IF EXISTS ledger_entries_sum_to_zero ON ledger_entries",
    "DROP FUNCTION IF EXISTS ledger_check_transfer_balanced()",
    """
CREATE FUNCTION ledger_check_transfer_sum() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM ledger_entries
   WHERE transfer_id = NEW.id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transfer % does not sum to zero (%)', NEW.id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
""",
    """
CREATE FUNCTION ledger_entries_with_their_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE stray text;
BEGIN
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
    "CREATE CONSTRAINT TRIGGER ledger_transfers_sum_to_zero AFTER INSERT ON ledger_transfers "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transfer_sum()",
    "CREATE TRIGGER ledger_entries_same_transaction AFTER INSERT ON ledger_entries "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
    "EXECUTE FUNCTION ledger_entries_with_their_transfer()",
    "DROP INDEX IF EXISTS ix_visit_values_bed_date",
    "CREATE INDEX ix_visit_values_bed_date ON visit_values (bed_id, service_date) "
    "INCLUDE (value_fen, service_seconds, counted)",
)

PG_DOWN = (
    "DROP TRIGGER IF EXISTS ledger_entries_same_transaction ON ledger_entries",
    "DROP TRIGGER IF EXISTS ledger_transfers_sum_to_zero ON ledger_transfers",
    "DROP FUNCTION IF EXISTS ledger_entries_with_their_transfer()",
    "DROP FUNCTION IF EXISTS ledger_check_transfer_sum()",
    """
CREATE FUNCTION ledger_check_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE total bigint;
BEGIN
  IF NEW.id <> (SELECT min(id) FROM ledger_entries WHERE transfer_id = NEW.transfer_id) THEN
    RETURN NULL;
  END IF;
  SELECT COALESCE(SUM(amount_fen), 0) INTO total FROM ledger_entries
   WHERE transfer_id = NEW.transfer_id;
  IF total <> 0 THEN
    RAISE EXCEPTION 'ledger transfer % does not sum to zero (%)', NEW.transfer_id, total
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
""",
    "CREATE CONSTRAINT TRIGGER ledger_entries_sum_to_zero AFTER INSERT ON ledger_entries "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
    "EXECUTE FUNCTION ledger_check_transfer_balanced()",
    "DROP INDEX IF EXISTS ix_visit_values_bed_date",
    "CREATE INDEX ix_visit_values_bed_date ON visit_values (bed_id, service_date)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:  # asyncpg: one command per statement
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
