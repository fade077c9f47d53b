"""Roster, assignments, workers, trainings, visits (EVV) with versions, exceptions and
observations, daily rollups and raised breaches.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import chassis.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("marker", sa.String(length=32), nullable=False),
        sa.Column("raised_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bed_id", "rule", "marker", name="uq_breach"),
    )
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_breaches_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_breaches_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "daily_rollups",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("on_site_visits", sa.Integer(), nullable=False),
        sa.Column("service_seconds", sa.Integer(), nullable=False),
        sa.Column("medic_visits", sa.Integer(), nullable=False),
        sa.Column("caregiver_absent_visits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bed_id", "day"),
    )
    with op.batch_alter_table("daily_rollups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_daily_rollups_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "roster_beds",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("elder_sub", sa.String(length=128), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("contract_start", sa.Date(), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=False),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=64), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location_set_by", sa.String(length=128), nullable=True),
        sa.Column("location_set_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("closed_through", sa.Date(), nullable=True),
        sa.Column("last_event_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    with op.batch_alter_table("roster_beds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_beds_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_beds_elder_sub"), ["elder_sub"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_roster_beds_provider_id"), ["provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_roster_beds_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("certificates", sa.JSON(), nullable=False),
        sa.Column("user_sub", sa.String(length=128), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_sub"),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "bed_assignments",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
        ),
        sa.PrimaryKeyConstraint("bed_id", "worker_id"),
    )
    with op.batch_alter_table("bed_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bed_assignments_worker_id"), ["worker_id"], unique=False
        )

    op.create_table(
        "roster_suspensions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("roster_suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_suspensions_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "trainings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("trainee_name", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("free", sa.Boolean(), nullable=False),
        sa.Column("trainer_worker_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trainings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trainings_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trainings_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "visits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("worker_role", sa.String(length=24), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("check_in", sa.JSON(), nullable=False),
        sa.Column("check_out", sa.JSON(), nullable=True),
        sa.Column("check_in_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("check_out_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("caregiver_present", sa.Boolean(), nullable=True),
        sa.Column("corroboration", sa.String(length=16), nullable=True),
        sa.Column("confirmation", sa.String(length=12), nullable=True),
        sa.Column("confirmation_note", sa.Text(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["roster_beds.bed_id"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("created_by", "idempotency_key", name="uq_visit_idem"),
    )
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_service_date"), ["service_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_visits_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "observations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("value2", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("observed_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observations_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observations_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_exceptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("opened_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_exceptions_visit_id"), ["visit_id"], unique=False
        )

    op.create_table(
        "visit_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("actor_sub", sa.String(length=128), nullable=False),
        sa.Column("actor_role", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["visits.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("visit_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_versions_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_versions_visit_id"))

    op.drop_table("visit_versions")
    with op.batch_alter_table("visit_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_exceptions_visit_id"))

    op.drop_table("visit_exceptions")
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observations_visit_id"))
        batch_op.drop_index(batch_op.f("ix_observations_elder_id"))
        batch_op.drop_index(batch_op.f("ix_observations_bed_id"))

    op.drop_table("observations")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_worker_id"))
        batch_op.drop_index(batch_op.f("ix_visits_status"))
        batch_op.drop_index(batch_op.f("ix_visits_service_date"))
        batch_op.drop_index(batch_op.f("ix_visits_provider_id"))
        batch_op.drop_index(batch_op.f("ix_visits_elder_id"))
        batch_op.drop_index(batch_op.f("ix_visits_bed_id"))

    op.drop_table("visits")
    with op.batch_alter_table("trainings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainings_provider_id"))
        batch_op.drop_index(batch_op.f("ix_trainings_bed_id"))

    op.drop_table("trainings")
    with op.batch_alter_table("roster_suspensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_suspensions_bed_id"))

    op.drop_table("roster_suspensions")
    with op.batch_alter_table("bed_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_assignments_worker_id"))

    op.drop_table("bed_assignments")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_provider_id"))

    op.drop_table("workers")
    with op.batch_alter_table("roster_beds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_beds_region_code"))
        batch_op.drop_index(batch_op.f("ix_roster_beds_provider_id"))
        batch_op.drop_index(batch_op.f("ix_roster_beds_elder_sub"))
        batch_op.drop_index(batch_op.f("ix_roster_beds_elder_id"))

    op.drop_table("roster_beds")
    with op.batch_alter_table("daily_rollups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_rollups_provider_id"))

    op.drop_table("daily_rollups")
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaches_provider_id"))
        batch_op.drop_index(batch_op.f("ix_breaches_bed_id"))

    op.drop_table("breaches")
