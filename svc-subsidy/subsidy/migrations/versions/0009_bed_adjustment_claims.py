"""Per-bed adjustments claimed by one settlement: the adjustment of a bed's settled month for a
kind (a late fact) is carried by one open settlement at a time, so two later months run before
either is approved no longer both pay it (`domain/bed_adjustments.py`).

The adjustment lines already stored in open settlements (submitted, then drafts; earlier months
first) are claimed by the settlement that carries them; a second open settlement carrying the
same one keeps its line without the claim — its submission is refused until it is run again
(which drops the line). Adjustments in approved or paid settlements need no claim: they are part
of what was paid, the next difference is computed against them.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bed_adjustment_claims",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("for_period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("settlement_id", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bed_id", "for_period", "kind"),
    )
    with op.batch_alter_table("bed_adjustment_claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bed_adjustment_claims_settlement_id", ["settlement_id"], unique=False
        )
    _claim_open_adjustments()


def _claim_open_adjustments() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT l.bed_id, l.for_period, l.kind, l.settlement_id, s.ran_at "
            "FROM settlement_lines l JOIN settlements s ON s.id = l.settlement_id "
            "WHERE s.status IN ('draft', 'submitted') AND l.elder_id <> '' "
            "AND l.for_period < s.period "
            "ORDER BY CASE WHEN s.status = 'submitted' THEN 0 ELSE 1 END, s.period, l.id"
        )
    ).all()
    claimed: set[tuple[str, str, str]] = set()
    for bed_id, for_period, kind, stl_id, ran_at in rows:
        if (bed_id, for_period, kind) in claimed:
            continue
        claimed.add((bed_id, for_period, kind))
        bind.execute(
            sa.text(
                "INSERT INTO bed_adjustment_claims (bed_id, for_period, kind, settlement_id, "
                "claimed_at) VALUES (:b, :f, :k, :s, :t)"
            ),
            {"b": bed_id, "f": for_period, "k": kind, "s": stl_id, "t": ran_at},
        )


def downgrade() -> None:
    with op.batch_alter_table("bed_adjustment_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_bed_adjustment_claims_settlement_id")
    op.drop_table("bed_adjustment_claims")
