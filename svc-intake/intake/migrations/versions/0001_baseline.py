"""Baseline: elders, applications, beds, contracts, installations, devices, PII audit, chassis.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 07:14:51.088729
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chassis.db import BigIntId, UtcDateTime
from chassis.migrations import create_chassis_tables, drop_chassis_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_chassis_tables(op)
    op.create_table(
        "elders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("id_number_index", sa.String(length=64), nullable=False),
        sa.Column("id_number_sealed", sa.String(length=255), nullable=False),
        sa.Column("id_number_key_id", sa.String(length=32), nullable=False),
        sa.Column("id_number_tail", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_number_index"),
    )
    op.create_table(
        "pii_access_log",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("actor_sub", sa.String(length=128), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("actor_provider_id", sa.String(length=64), nullable=True),
        sa.Column("elder_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=True),
        sa.Column("field", sa.String(length=24), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("accessed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pii_access_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pii_access_log_actor_sub"), ["actor_sub"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pii_access_log_elder_id"), ["elder_id"], unique=False)

    op.create_table(
        "registered_devices",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("removed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("registered_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registered_devices_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=36), nullable=False),
        sa.Column("active_elder_id", sa.String(length=36), nullable=True),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("applicant_sub", sa.String(length=128), nullable=False),
        sa.Column("entered_by", sa.String(length=128), nullable=True),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("caregiver_phone_sealed", sa.String(length=255), nullable=True),
        sa.Column("caregiver_phone_key_id", sa.String(length=32), nullable=True),
        sa.Column("caregiver_phone_tail", sa.String(length=4), nullable=True),
        sa.Column("caregiver_phone_index", sa.String(length=64), nullable=True),
        sa.Column("emergency_phone_sealed", sa.String(length=255), nullable=True),
        sa.Column("emergency_phone_key_id", sa.String(length=32), nullable=True),
        sa.Column("emergency_phone_tail", sa.String(length=4), nullable=True),
        sa.Column("in_pilot_area", sa.Boolean(), nullable=True),
        sa.Column("has_stable_caregiver", sa.Boolean(), nullable=True),
        sa.Column("is_renter", sa.Boolean(), nullable=True),
        sa.Column("economic_status", sa.String(length=8), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=True),
        sa.Column("ability_level", sa.String(length=10), nullable=True),
        sa.Column("care_needs_level", sa.Integer(), nullable=True),
        sa.Column("reviews", sa.JSON(), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("submitted_at", UtcDateTime(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_elder_id"),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_applications_applicant_sub"), ["applicant_sub"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_caregiver_phone_index"),
            ["caregiver_phone_index"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_applications_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_applications_jurisdiction"), ["jurisdiction"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_applications_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_applications_status"), ["status"], unique=False)

    op.create_table(
        "beds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=36), nullable=False),
        sa.Column("active_elder_id", sa.String(length=36), nullable=True),
        sa.Column("applicant_sub", sa.String(length=128), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ability_level", sa.String(length=10), nullable=True),
        sa.Column("care_needs_level", sa.Integer(), nullable=True),
        sa.Column("economic_status", sa.String(length=8), nullable=False),
        sa.Column("guidance", sa.JSON(), nullable=False),
        sa.Column("care_plan", sa.JSON(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("inspections", sa.JSON(), nullable=False),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("suspension_reason", sa.Text(), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("update_deadline", sa.Date(), nullable=True),
        sa.Column("deadline_estimated", sa.Boolean(), nullable=True),
        sa.Column("late_update", sa.Boolean(), nullable=True),
        sa.Column("transfer_target", sa.String(length=24), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"],
            ["elders.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_elder_id"),
        sa.UniqueConstraint("application_id"),
    )
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_beds_applicant_sub"), ["applicant_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_jurisdiction"), ["jurisdiction"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_region_code"), ["region_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_status"), ["status"], unique=False)

    op.create_table(
        "contracts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("base_package_fee_fen", sa.Integer(), nullable=False),
        sa.Column("personal_items", sa.JSON(), nullable=False),
        sa.Column("is_first", sa.Boolean(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("signed_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["beds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contracts_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contracts_elder_id"), ["elder_id"], unique=False)

    op.create_table(
        "installations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("device_type", sa.String(length=32), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["beds.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "item_id", name="uq_installation_item"),
    )
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_installations_bed_id"), ["bed_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_installations_bed_id"))

    op.drop_table("installations")
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contracts_elder_id"))
        batch_op.drop_index(batch_op.f("ix_contracts_bed_id"))

    op.drop_table("contracts")
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beds_status"))
        batch_op.drop_index(batch_op.f("ix_beds_region_code"))
        batch_op.drop_index(batch_op.f("ix_beds_provider_id"))
        batch_op.drop_index(batch_op.f("ix_beds_jurisdiction"))
        batch_op.drop_index(batch_op.f("ix_beds_elder_id"))
        batch_op.drop_index(batch_op.f("ix_beds_applicant_sub"))

    op.drop_table("beds")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_status"))
        batch_op.drop_index(batch_op.f("ix_applications_region_code"))
        batch_op.drop_index(batch_op.f("ix_applications_provider_id"))
        batch_op.drop_index(batch_op.f("ix_applications_jurisdiction"))
        batch_op.drop_index(batch_op.f("ix_applications_elder_id"))
        batch_op.drop_index(batch_op.f("ix_applications_caregiver_phone_index"))
        batch_op.drop_index(batch_op.f("ix_applications_applicant_sub"))

    op.drop_table("applications")
    with op.batch_alter_table("registered_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registered_devices_bed_id"))

    op.drop_table("registered_devices")
    with op.batch_alter_table("pii_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pii_access_log_elder_id"))
        batch_op.drop_index(batch_op.f("ix_pii_access_log_actor_sub"))

    op.drop_table("pii_access_log")
    op.drop_table("elders")
    drop_chassis_tables(op)
