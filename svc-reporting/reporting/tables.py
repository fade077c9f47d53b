"""SQLAlchemy tables of svc-reporting: delivery state of report batches (never their payload:
the PII in a report is fetched and decrypted only for the push), provider profiles, and the
supervision read model fed from Kafka."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime, chassis_tables


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime}


CHASSIS_TABLES = chassis_tables(Base.metadata)


class ReportBatchRow(Base):
    __tablename__ = "report_batches"
    __table_args__ = (
        Index("ix_report_batches_provider_day", "provider_id", "report_date"),
        Index("ix_report_batches_due", "status", "next_attempt_at"),
    )

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    report_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))
    corrects_batch_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(64))  # a code, never a body
    receipt_id: Mapped[str | None] = mapped_column(String(128))
    payload_sha256: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # `city_report.late` emitted (once per day, svc-notify tells the provider)
    late_announced_at: Mapped[datetime | None]


class ProviderProfileRow(Base):
    """运营分析 facts the owners do not hold yet: the provider's name and medical partner."""

    __tablename__ = "provider_profiles"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    medical_partner: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class SupervisedBedRow(Base):
    """Read model from intake.beds.v1."""

    __tablename__ = "supervised_beds"

    bed_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(24))
    established_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # an end's platform update (001 §四(六)): its deadline and when intake recorded the end
    update_deadline: Mapped[date | None] = mapped_column(Date)
    end_recorded_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class SupervisedBreachRow(Base):
    """Read model from records.visits.v1 minimum.breached."""

    __tablename__ = "supervised_breaches"
    __table_args__ = (UniqueConstraint("event_id", name="uq_breach_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64))
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    rule: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]


class SupervisedAlarmRow(Base):
    """Read model from iot.alarms.v1 (raised, arrived, sla_breached)."""

    __tablename__ = "supervised_alarms"

    alarm_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    raised_at: Mapped[datetime]
    arrival_deadline: Mapped[datetime]
    arrived_at: Mapped[datetime | None]
    sla_breached: Mapped[bool] = mapped_column(default=False)


class SupervisedSurveyRow(Base):
    """Read model from records.visits.v1 survey.answered (000 §三(六) 满意度)."""

    __tablename__ = "supervised_surveys"

    survey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[float] = mapped_column(Float)
    occurred_at: Mapped[datetime]
