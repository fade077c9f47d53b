"""referrals, history, beds, consents, disclosures, idempotency keys, webhooks

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
        "beds",
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("applicant_sub", sa.String(length=128), nullable=True),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bed_id"),
    )
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_beds_applicant_sub"), ["applicant_sub"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_beds_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "consents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("grantor", sa.String(length=8), nullable=False),
        sa.Column("grantor_name_masked", sa.String(length=100), nullable=True),
        sa.Column("grantor_relationship", sa.String(length=32), nullable=True),
        sa.Column("receiver_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=24), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("valid_from", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("form_reference", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=128), nullable=True),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consents_receiver_id"), ["receiver_id"], unique=False)

    op.create_table(
        "disclosures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("consent_id", sa.String(length=36), nullable=False),
        sa.Column("elder_id", sa.String(length=64), nullable=False),
        sa.Column("receiver_id", sa.String(length=64), nullable=False),
        sa.Column("accessed_by", sa.String(length=128), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disclosures_consent_id"), ["consent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disclosures_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_disclosures_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key"),
    )
    op.create_table(
        "referral_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("business_status", sa.String(length=64), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referral_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_history_referral_id"), ["referral_id"], unique=False
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("path", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("requester_kind", sa.String(length=24), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=True),
        sa.Column("receiver_id", sa.String(length=64), nullable=False),
        sa.Column("receiver_kind", sa.String(length=24), nullable=False),
        sa.Column("receiver_name", sa.String(length=200), nullable=True),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("bed_id", sa.String(length=64), nullable=True),
        sa.Column("elder_id", sa.String(length=64), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("consent_id", sa.String(length=36), nullable=True),
        sa.Column("business_status", sa.String(length=64), nullable=True),
        sa.Column("reason_code", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("held_from", sa.String(length=16), nullable=True),
        sa.Column("admitted_on", sa.Date(), nullable=True),
        sa.Column("service_ended_on", sa.Date(), nullable=True),
        sa.Column("discharge", sa.JSON(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("step_since", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_bed_id"), ["bed_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_elder_id"), ["elder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_path"), ["path"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_receiver_id"), ["receiver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_region_code"), ["region_code"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_referrals_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_referrals_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_referrals_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "webhook_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_attempts_delivery_id"), ["delivery_id"], unique=False
        )

    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=48), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", chassis.db.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_delivery_event"),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_webhook_deliveries_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", chassis.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_subscriptions_partner_id"), ["partner_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("webhook_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_subscriptions_partner_id"))

    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_status"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_partner_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_created_at"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_attempts_delivery_id"))

    op.drop_table("webhook_attempts")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_updated_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_status"))
        batch_op.drop_index(batch_op.f("ix_referrals_requester_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_region_code"))
        batch_op.drop_index(batch_op.f("ix_referrals_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_provider_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_path"))
        batch_op.drop_index(batch_op.f("ix_referrals_elder_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_due_at"))
        batch_op.drop_index(batch_op.f("ix_referrals_bed_id"))

    op.drop_table("referrals")
    with op.batch_alter_table("referral_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_history_referral_id"))

    op.drop_table("referral_history")
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosures_referral_id"))
        batch_op.drop_index(batch_op.f("ix_disclosures_elder_id"))
        batch_op.drop_index(batch_op.f("ix_disclosures_consent_id"))

    op.drop_table("disclosures")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_receiver_id"))
        batch_op.drop_index(batch_op.f("ix_consents_provider_id"))
        batch_op.drop_index(batch_op.f("ix_consents_elder_id"))
        batch_op.drop_index(batch_op.f("ix_consents_bed_id"))

    op.drop_table("consents")
    with op.batch_alter_table("beds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beds_provider_id"))
        batch_op.drop_index(batch_op.f("ix_beds_elder_id"))
        batch_op.drop_index(batch_op.f("ix_beds_applicant_sub"))

    op.drop_table("beds")
