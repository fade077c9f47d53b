"""Report batches, provider profiles and the supervision read model.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from chassis.db import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_batches",
        sa.Column("batch_id", sa.String(36), primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("report_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("corrects_batch_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("receipt_id", sa.String(128), nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.Column("acknowledged_at", UtcDateTime, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index(
        "ix_report_batches_provider_day", "report_batches", ["provider_id", "report_date"]
    )
    op.create_index("ix_report_batches_due", "report_batches", ["status", "next_attempt_at"])
    op.create_table(
        "provider_profiles",
        sa.Column("provider_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("medical_partner", sa.String(200), nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "supervised_beds",
        sa.Column("bed_id", sa.String(64), primary_key=True),
        sa.Column("provider_id", sa.String(64), nullable=False, index=True),
        sa.Column("region_code", sa.String(12), nullable=False, index=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("established_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "supervised_breaches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("bed_id", sa.String(64), nullable=False, index=True),
        sa.Column("provider_id", sa.String(64), nullable=False, index=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_breach_event"),
    )
    op.create_table(
        "supervised_alarms",
        sa.Column("alarm_id", sa.String(36), primary_key=True),
        sa.Column("bed_id", sa.String(64), nullable=False, index=True),
        sa.Column("provider_id", sa.String(64), nullable=False, index=True),
        sa.Column("raised_at", UtcDateTime, nullable=False),
        sa.Column("arrival_deadline", UtcDateTime, nullable=False),
        sa.Column("arrived_at", UtcDateTime, nullable=True),
        sa.Column("sla_breached", sa.Boolean, nullable=False),
    )
    op.create_table(
        "supervised_surveys",
        sa.Column("survey_id", sa.String(64), primary_key=True),
        sa.Column("bed_id", sa.String(64), nullable=False, index=True),
        sa.Column("provider_id", sa.String(64), nullable=False, index=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("occurred_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "supervised_surveys",
        "supervised_alarms",
        "supervised_breaches",
        "supervised_beds",
        "provider_profiles",
        "report_batches",
    ):
        op.drop_table(table)
