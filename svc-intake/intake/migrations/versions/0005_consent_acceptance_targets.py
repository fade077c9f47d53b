"""Consents (who, when, scope, method, evidence, withdrawal) and acceptance applications
(contract, construction investment list, service data list, joint inspection, decision).
Bed targets and pilot streets are policy data: no table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=24), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("given_by", sa.String(length=12), nullable=False),
        sa.Column("giver_name", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=200), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.Column("evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("witness_name", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_role", sa.String(length=24), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=128), nullable=True),
        sa.Column("withdrawn_role", sa.String(length=24), nullable=True),
        sa.Column("withdrawal_method", sa.String(length=16), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawal_evidence_ref", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bed_id"], ["beds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_elder_id"), ["elder_id"], unique=False)

    op.create_table(
        "acceptances",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("open_bed_id", sa.String(length=36), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("contract_id", sa.String(length=36), nullable=False),
        sa.Column("investment", sa.JSON(), nullable=False),
        sa.Column("investment_total_fen", sa.Integer(), nullable=False),
        sa.Column("service_period_start", sa.Date(), nullable=False),
        sa.Column("service_period_end", sa.Date(), nullable=False),
        sa.Column("service_data", sa.JSON(), nullable=False),
        sa.Column("applied_by", sa.String(length=128), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("inspection", sa.JSON(), nullable=True),
        sa.Column("inspected_by", sa.String(length=128), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bed_id"], ["beds.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "attempt", name="uq_acceptance_attempt"),
        sa.UniqueConstraint("open_bed_id"),
    )
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acceptances_bed_id"), ["bed_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("acceptances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acceptances_bed_id"))
    op.drop_table("acceptances")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_elder_id"))
        batch_op.drop_index(batch_op.f("ix_consents_bed_id"))
    op.drop_table("consents")
