"""Per bed and month, the counted visits' totals, kept true on every write of a visit.

Why: a county's settlement aggregated its month's visits (3·10⁶ rows for 10⁵ beds) on every
run; now it reads one row per bed. On PostgreSQL statement triggers with transition tables on
`visit_values` keep `visit_month_totals` true for every write path (the consumer's upsert of a
visit's latest version, a bulk load): each statement adds its new rows' counted totals and takes
off its old rows' (a correction that moves a visit to another day or month moves its share).
On SQLite (tests, dev) the repository does the same in code. Existing visits are summed once.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the counted share of a set of rows, signed: +1 for rows written, -1 for rows replaced
SHARE = (
    "SELECT bed_id, to_char(service_date, 'YYYY-MM') AS period, {sign} AS visits, "
    "{sign} * coalesce(value_fen, 0) AS value_fen, "
    "{sign} * (value_fen IS NULL)::int AS unpriced, "
    "{sign} * CASE WHEN value_fen IS NULL THEN service_seconds ELSE 0 END AS unpriced_seconds "
    "FROM {rows} WHERE counted"
)
APPLY = (
    "INSERT INTO visit_month_totals AS t (bed_id, period, visits, value_fen, unpriced, "
    "unpriced_seconds) "
    "SELECT bed_id, period, sum(visits), sum(value_fen), sum(unpriced), sum(unpriced_seconds) "
    "FROM ({shares}) d GROUP BY bed_id, period ORDER BY bed_id, period "
    "ON CONFLICT (bed_id, period) DO UPDATE SET visits = t.visits + EXCLUDED.visits, "
    "value_fen = t.value_fen + EXCLUDED.value_fen, unpriced = t.unpriced + EXCLUDED.unpriced, "
    "unpriced_seconds = t.unpriced_seconds + EXCLUDED.unpriced_seconds"
)
ADDED = SHARE.format(sign=1, rows="new_rows")
REMOVED = SHARE.format(sign=-1, rows="old_rows")
FUNCTION = f"""
CREATE FUNCTION visit_month_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {APPLY.format(shares=ADDED)};
  ELSIF TG_OP = 'DELETE' THEN
    {APPLY.format(shares=REMOVED)};
  ELSE
    {APPLY.format(shares=ADDED + " UNION ALL " + REMOVED)};
  END IF;
  RETURN NULL;
END $$
"""
BACKFILL = (
    "INSERT INTO visit_month_totals (bed_id, period, visits, value_fen, unpriced, "
    "unpriced_seconds) "
    "SELECT bed_id, {month}, count(*), coalesce(sum(value_fen), 0), "
    "sum(CASE WHEN value_fen IS NULL THEN 1 ELSE 0 END), "
    "coalesce(sum(CASE WHEN value_fen IS NULL THEN service_seconds ELSE 0 END), 0) "
    "FROM visit_values WHERE counted GROUP BY bed_id, {month}"
)
PG_UP = (
    FUNCTION,
    "CREATE TRIGGER visit_month_totals_insert AFTER INSERT ON visit_values "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION visit_month_totals_apply()",
    "CREATE TRIGGER visit_month_totals_update AFTER UPDATE ON visit_values "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION visit_month_totals_apply()",
    "CREATE TRIGGER visit_month_totals_delete AFTER DELETE ON visit_values "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION visit_month_totals_apply()",
    BACKFILL.format(month="to_char(service_date, 'YYYY-MM')"),
)
PG_DOWN = (
    "DROP TRIGGER IF EXISTS visit_month_totals_insert ON visit_values",
    "DROP TRIGGER IF EXISTS visit_month_totals_update ON visit_values",
    "DROP TRIGGER IF EXISTS visit_month_totals_delete ON visit_values",
    "DROP FUNCTION IF EXISTS visit_month_totals_apply()",
)


def upgrade() -> None:
    op.create_table(
        "visit_month_totals",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("unpriced", sa.Integer(), nullable=False),
        sa.Column("unpriced_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id", "period"),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UP:  # asyncpg: one command per statement
            op.execute(statement)
    else:
        op.execute(BACKFILL.format(month="substr(service_date, 1, 7)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWN:
            op.execute(statement)
    op.drop_table("visit_month_totals")
