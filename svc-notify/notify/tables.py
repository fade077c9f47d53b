"""SQLAlchemy tables of svc-notify: its own metadata, with the chassis outbox and dedupe tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import BigIntId, UtcDateTime, chassis_tables


class Base(DeclarativeBase):
    pass


class RecipientRow(Base):
    """A person notifications reach; `person_id` is their login subject (the token's `sub`)."""

    __tablename__ = "recipients"

    person_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list[str]] = mapped_column(JSON)
    region_codes: Mapped[list[str]] = mapped_column(JSON)
    bed_ids: Mapped[list[str]] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(JSON)
    # PIPL: the number sealed (AES-GCM, notify/crypto.py), its mask for answers, a blind index
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret_sealed: Mapped[str | None] = mapped_column(Text)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ScheduleRow(Base):
    """A provider's on-call rotation for one role label (duty_manager, caregiver, ...)."""

    __tablename__ = "on_call_schedules"
    __table_args__ = (UniqueConstraint("provider_id", "role", name="uq_schedule_role"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    members: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    shift_hours: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str] = mapped_column(String(128))


class OverrideRow(Base):
    __tablename__ = "on_call_overrides"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    schedule_id: Mapped[str] = mapped_column(String(36), index=True)
    person_id: Mapped[str] = mapped_column(String(128))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(128))


class BedRow(Base):
    """What notify knows of a bed from intake.beds.v1: whose, where, and the masked elder."""

    __tablename__ = "beds"

    bed_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12))
    elder_name_masked: Mapped[str | None] = mapped_column(String(100))
    address_masked: Mapped[str | None] = mapped_column(String(200))


class ChainRow(Base):
    """An alarm's notification chain (notify/domain/chain.py)."""

    __tablename__ = "alarm_chains"

    alarm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    bed_id: Mapped[str] = mapped_column(String(64))
    alarm_type: Mapped[str] = mapped_column(String(64))
    safety: Mapped[bool] = mapped_column(Boolean)
    step: Mapped[int] = mapped_column(Integer)
    step_event_id: Mapped[str] = mapped_column(String(64))
    step_rule_id: Mapped[str] = mapped_column(String(64))
    step_started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_round_at: Mapped[datetime] = mapped_column(UtcDateTime)
    repeat_no: Mapped[int] = mapped_column(Integer)
    repeat_minutes: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    arrival_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_round_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class DeliveryRow(Base):
    """One message to one person for one event and step (and repeat of the step)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # never twice for one event, step and recipient (a repeat of the step is a new round)
        UniqueConstraint(
            "source_event_id", "step", "recipient_id", "repeat_no", name="uq_delivery_once"
        ),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_recipient_sent", "recipient_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    source_event_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(100))
    rule_id: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    repeat_no: Mapped[int] = mapped_column(Integer)
    recipient_id: Mapped[str] = mapped_column(String(128))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    region_code: Mapped[str | None] = mapped_column(String(12))
    bed_id: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128), index=True)
    safety: Mapped[bool] = mapped_column(Boolean)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    channel_used: Mapped[str | None] = mapped_column(String(32))
    ack_code: Mapped[str | None] = mapped_column(String(8))
    digest_id: Mapped[int | None] = mapped_column(BigIntId)
    last_error: Mapped[str | None] = mapped_column(String(300))
    context: Mapped[dict[str, Any]] = mapped_column(JSON)


@dataclass(slots=True)
class NewDelivery:
    """A delivery not written yet: the values of a `deliveries` row, without the ORM's
    attribute instrumentation (an ORM object per delivery, never added to a session, cost a
    fifth of a fall's CPU in notify); `DeliveryWriter` inserts it and sets `id`."""

    source_event_id: str
    topic: str
    event_type: str
    rule_id: str
    step: int
    repeat_no: int
    recipient_id: str
    provider_id: str | None
    region_code: str | None
    bed_id: str | None
    subject: str
    safety: bool
    title: str
    body: str
    channels: list[str]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    event_at: datetime
    sent_at: datetime | None = None
    channel_used: str | None = None
    ack_code: str | None = None
    digest_id: int | None = None
    last_error: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


class AttemptRow(Base):
    """Every try of a channel: which, the outcome, how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(BigIntId, index=True)
    channel: Mapped[str] = mapped_column(String(32))
    ok: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboxRow(Base):
    """The in-app channel: a person's (or a monitoring centre's) messages; its id is the SSE id."""

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_owner", "owner", "id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(140))  # person_id, or centre:<provider_id>
    delivery_id: Mapped[int | None] = mapped_column(BigIntId, unique=True)
    subject: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    safety: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


CHASSIS_TABLES = chassis_tables(Base.metadata)
