"""The statement checks of 0003 and 0006 look up each distinct key once, in a plan made for the
statement's size, instead of each new row by an index probe.

Why: a county's submission writes ~2·10⁵ ledger entries over ~10² transfers and ~10⁵ accounts
(each elder's voucher account twice) in one COPY. The checks joined every new row to its
transfer and its account with a nested loop (the planner's choice under `LIMIT 1`, and a plan
cached once per connection: the first call's size decided it for all): on the bench 1.4 s of
the COPY's 2.3 s. Now (PostgreSQL only; SQLite keeps its row triggers):
- the new rows' distinct transfers (or settlements, for lines) are checked: a few hundred
  lookups, whatever the number of rows;
- the accounts are anti-joined to `ledger_accounts` by a query planned at each call
  (`EXECUTE`): a hash join for a county's batch, index probes for a clawback's three entries;
- one pass over the distinct transfers finds both an unknown one and one recorded earlier;
- `count(*)`/`min()` instead of `LIMIT 1`: the plan is costed for the whole set, not for an
  early match that a sound batch never has.
The rules are unchanged: an entry of an unknown transfer or account, an entry added to a transfer
recorded by an earlier transaction, a line of an unknown settlement are refused.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ENTRIES_CHECK = """
CREATE OR REPLACE FUNCTION ledger_entries_with_their_transfer() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE unknown text; closed text; stray text;
BEGIN
  -- EXECUTE: planned for this statement's rows (a static query keeps its first plan).
  -- A transfer row must exist and be this transaction's own: its sum is checked at this commit.
  EXECUTE 'SELECT min(w.transfer_id) FILTER (WHERE t.id IS NULL), '
          'min(w.transfer_id) FILTER (WHERE t.xmin <> pg_current_xact_id()::xid) '
          'FROM (SELECT DISTINCT transfer_id FROM added) w '
          'LEFT JOIN ledger_transfers t ON t.id = w.transfer_id'
     INTO unknown, closed;
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry of unknown transfer %', unknown
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF closed IS NOT NULL THEN
    RAISE EXCEPTION 'ledger transfer % is already recorded: its entries are closed (post a new '
      'transfer instead)', closed USING ERRCODE = 'restrict_violation';
  END IF;
  -- every row probed (a DISTINCT first costs more than the repeats it saves)
  EXECUTE 'SELECT min(w.account_id) FROM added w '
          'WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts c WHERE c.id = w.account_id)'
     INTO stray;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'ledger entry of unknown account %', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

LINES_CHECK = """
CREATE OR REPLACE FUNCTION settlement_lines_of_a_settlement() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE stray text;
BEGIN
  EXECUTE 'SELECT min(w.settlement_id) FROM (SELECT DISTINCT settlement_id FROM added) w '
          'WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE s.id = w.settlement_id)'
     INTO stray;
  IF stray IS NOT NULL THEN
    RAISE EXCEPTION 'settlement line of unknown settlement %', stray
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$
"""

# 0006's bodies, put back by the downgrade
ENTRIES_CHECK_0006 = """
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
"""

LINES_CHECK_0006 = """
CREATE OR REPLACE FUNCTION settlement_lines_of_a_settlement() RETURNS trigger
LANGUAGE plpgsql AS $$
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
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ENTRIES_CHECK)
        op.execute(LINES_CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ENTRIES_CHECK_0006)
        op.execute(LINES_CHECK_0006)
