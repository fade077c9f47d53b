"""SQLAlchemy tables: its own metadata, with the chassis outbox and dedupe tables.

Referral keeps what it needs to route and to prove: the referral (a FHIR Task), its history, the
beds it may refer (a projection of intake.beds.v1: ids, provider, region, no PII), consents and
the disclosure log, idempotency keys, webhook subscriptions, deliveries and attempts. The
elder's archive is never copied here: it is fetched from its owners when a receiver asks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime, chassis_tables


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class ReferralRow(Base):
    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    path: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    requester_id: Mapped[str] = mapped_column(String(64), index=True)
    requester_kind: Mapped[str] = mapped_column(String(24))
    requester_name: Mapped[str | None] = mapped_column(String(200))
    receiver_id: Mapped[str] = mapped_column(String(64), index=True)
    receiver_kind: Mapped[str] = mapped_column(String(24))
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    bed_id: Mapped[str | None] = mapped_column(String(64), index=True)
    elder_id: Mapped[str | None] = mapped_column(String(64), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    consent_id: Mapped[str | None] = mapped_column(String(36))
    business_status: Mapped[str | None] = mapped_column(String(64))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    held_from: Mapped[str | None] = mapped_column(String(16))
    admitted_on: Mapped[date | None] = mapped_column(Date)
    service_ended_on: Mapped[date | None] = mapped_column(Date)
    # home_bed path: what the hospital pre-fills for intake's application (no PII)
    discharge: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(1000))
    step_since: Mapped[datetime]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    escalated_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class ReferralHistoryRow(Base):
    """Who set which status when (Task history / Provenance)."""

    __tablename__ = "referral_history"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    referral_id: Mapped[str] = mapped_column(String(36), index=True)
    event_type: Mapped[str] = mapped_column(String(48))
    status: Mapped[str] = mapped_column(String(16))
    business_status: Mapped[str | None] = mapped_column(String(64))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128))
    party: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]


class BedRow(Base):
    """A home bed as intake last described it: enough to route and to check visibility."""

    __tablename__ = "beds"

    bed_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(24))
    applicant_sub: Mapped[str | None] = mapped_column(String(128), index=True)
    updated_at: Mapped[datetime]


class ConsentRow(Base):
    """FHIR Consent: who consented, to which organisation, for which categories and purpose."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    region_code: Mapped[str] = mapped_column(String(12))
    grantor: Mapped[str] = mapped_column(String(8))  # elder | family
    grantor_name_masked: Mapped[str | None] = mapped_column(String(100))
    grantor_relationship: Mapped[str | None] = mapped_column(String(32))
    receiver_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(24))
    categories: Mapped[list[Any]]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    method: Mapped[str] = mapped_column(String(16))  # signed_form | in_app
    form_reference: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # active | withdrawn
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))
    recorded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DisclosureRow(Base):
    """One disclosure of the archive: who received what, when, under which consent."""

    __tablename__ = "disclosures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    referral_id: Mapped[str] = mapped_column(String(36), index=True)
    consent_id: Mapped[str] = mapped_column(String(36), index=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    receiver_id: Mapped[str] = mapped_column(String(64))
    accessed_by: Mapped[str] = mapped_column(String(128))
    categories: Mapped[list[Any]]
    at: Mapped[datetime]


class IdempotencyRow(Base):
    """Stripe semantics: the first answer to a key is replayed for the same body."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)  # caller + route
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[Any]]
    secret: Mapped[str] = mapped_column(String(100))  # whsec_…, shown once on creation
    active: Mapped[bool]
    created_at: Mapped[datetime]
    # a rotation keeps signing with the secret it replaced until the partner has switched
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "event_id", name="uq_delivery_event"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # msg_…: webhook-id
    subscription_id: Mapped[str] = mapped_column(String(36), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    event_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(48))
    referral_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    delivery_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


CHASSIS_TABLES = chassis_tables(Base.metadata)
