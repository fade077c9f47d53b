"""Provider-level awards claimed by one settlement: the platform subsidy once per provider, each
scale-award tier once (002 §八3, §八2), late facts settled in the next open month.

Existing provider-level lines are claimed by the settlement that carries them (settlements past
draft first, then drafts): a platform line claims `once`, a scale-award line each tier its
explanation names (`tier 1, 2: …`, the calculator's own format).

Revision ID: 0008
Revises: 0007
"""

import re

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TIERS = re.compile(r"^tier ([0-9, ]+):")


def upgrade() -> None:
    op.create_table(
        "provider_award_claims",
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("award", sa.String(length=16), nullable=False),
        sa.Column("settlement_id", sa.String(length=64), nullable=False),
        sa.Column("for_period", sa.String(length=7), nullable=False),
        sa.Column("claimed_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_id", "jurisdiction", "kind", "award"),
    )
    with op.batch_alter_table("provider_award_claims", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_award_claims_settlement_id", ["settlement_id"], unique=False
        )
    _claim_existing_lines()


def _claim_existing_lines() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.provider_id, s.jurisdiction, l.kind, l.settlement_id, l.for_period, "
            "l.explanation, s.ran_at FROM settlement_lines l "
            "JOIN settlements s ON s.id = l.settlement_id "
            "WHERE l.kind IN ('platform', 'scale_award') AND l.elder_id = '' "
            "ORDER BY CASE WHEN s.status = 'draft' THEN 1 ELSE 0 END, s.period, l.id"
        )
    ).all()
    claimed: set[tuple[str, str, str, str]] = set()
    for provider_id, jurisdiction, kind, stl_id, for_period, explanation, ran_at in rows:
        if kind == "platform":
            awards = ["once"]
        else:
            found = _TIERS.match(explanation or "")
            tiers = found.group(1).split(",") if found else []
            awards = [f"tier-{tier.strip()}" for tier in tiers if tier.strip()]
        for award in awards:
            key = (provider_id, jurisdiction, kind, award)
            if key in claimed:
                continue
            claimed.add(key)
            bind.execute(
                sa.text(
                    "INSERT INTO provider_award_claims (provider_id, jurisdiction, kind, award, "
                    "settlement_id, for_period, claimed_at) VALUES (:p, :j, :k, :a, :s, :f, :t)"
                ),
                {
                    "p": provider_id,
                    "j": jurisdiction,
                    "k": kind,
                    "a": award,
                    "s": stl_id,
                    "f": for_period,
                    "t": ran_at,
                },
            )


def downgrade() -> None:
    with op.batch_alter_table("provider_award_claims", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_award_claims_settlement_id")
    op.drop_table("provider_award_claims")
