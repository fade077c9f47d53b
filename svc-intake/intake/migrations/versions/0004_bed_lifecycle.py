"""Bed lifecycle after establishment: contract dissolution (who, when, why) and the provider that
signed each contract, expiry notices, family-sickbed combination, care-plan revision after a
re-assessment; referrals, re-assessments and provider changes as intake knows them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract_dissolved_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("contract_dissolved_by", sa.String(length=128), nullable=True)
        )
        batch_op.add_column(
            sa.Column("family_sickbed_referral_id", sa.String(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("family_sickbed_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("care_plan_revision_due_since", sa.Date(), nullable=True))
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("dissolved_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("dissolved_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("dissolution_reason", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("expiry_notice_on", sa.Date(), nullable=True))
    # Until now the deadline counted from the event: those contracts dissolved on the event day.
    op.execute(
        "UPDATE beds SET contract_dissolved_on = event_date "
        "WHERE status IN ('terminated', 'transferred') AND event_date IS NOT NULL"
    )
    op.execute(
        "UPDATE contracts SET provider_id = "
        "(SELECT beds.provider_id FROM beds WHERE beds.id = contracts.bed_id)"
    )
    # The transfer target is now the referral path: an institution is a nursing home (转养).
    op.execute(
        "UPDATE beds SET transfer_target = 'nursing_home' WHERE transfer_target = 'institution'"
    )

    op.create_table(
        "bed_referrals",
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=True),
        sa.Column("elder_id", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("receiver_id", sa.String(length=64), nullable=True),
        sa.Column("receiver_name", sa.String(length=200), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("service_ended_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("last_event_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("referral_id"),
    )
    with op.batch_alter_table("bed_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bed_referrals_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "bed_assessments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("ability_level", sa.String(length=10), nullable=True),
        sa.Column("care_needs_level", sa.Integer(), nullable=True),
        sa.Column("previous_ability_level", sa.String(length=10), nullable=True),
        sa.Column("previous_care_needs_level", sa.Integer(), nullable=True),
        sa.Column("assessor", sa.String(length=200), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bed_id"], ["beds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bed_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bed_assessments_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "bed_provider_changes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("from_provider_id", sa.String(length=64), nullable=False),
        sa.Column("to_provider_id", sa.String(length=64), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_by", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bed_id"], ["beds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bed_provider_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bed_provider_changes_bed_id"), ["bed_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bed_provider_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_provider_changes_bed_id"))
    op.drop_table("bed_provider_changes")
    with op.batch_alter_table("bed_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_assessments_bed_id"))
    op.drop_table("bed_assessments")
    with op.batch_alter_table("bed_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_referrals_bed_id"))
    op.drop_table("bed_referrals")
    op.execute(
        "UPDATE beds SET transfer_target = 'institution' WHERE transfer_target = 'nursing_home'"
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_column("expiry_notice_on")
        batch_op.drop_column("dissolution_reason")
        batch_op.drop_column("dissolved_by")
        batch_op.drop_column("dissolved_on")
        batch_op.drop_column("provider_id")
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.drop_column("care_plan_revision_due_since")
        batch_op.drop_column("family_sickbed_since")
        batch_op.drop_column("family_sickbed_referral_id")
        batch_op.drop_column("contract_dissolved_by")
        batch_op.drop_column("contract_dissolved_on")
