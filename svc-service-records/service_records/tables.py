"""SQLAlchemy tables: the roster (from intake.beds.v1), workers, visits (EVV) and their history,
observations, daily rollups and minimums, plus the chassis outbox and dedupe tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import BigIntId, UtcDateTime, chassis_tables


class Base(DeclarativeBase):
    pass


class RosterBedRow(Base):
    """A bed as intake last described it; visits are accepted only while it is in service."""

    __tablename__ = "roster_beds"

    bed_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    # The login subject of the elder or family member who applied (BedEvent.applicant_sub).
    elder_sub: Mapped[str | None] = mapped_column(String(128), index=True)
    # Masked by intake before they leave it (BedEvent): a caregiver finds the home without a reveal.
    elder_name_masked: Mapped[str | None] = mapped_column(String(64))
    address_masked: Mapped[str | None] = mapped_column(String(256))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(24))
    contract_start: Mapped[date] = mapped_column(Date)
    contract_end: Mapped[date] = mapped_column(Date)
    established_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    location_set_by: Mapped[str | None] = mapped_column(String(128))
    location_set_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_through: Mapped[date | None] = mapped_column(Date)  # last day the close job judged
    planned_through: Mapped[date | None] = mapped_column(Date)  # last day tasks are planned to
    last_event_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SuspensionRow(Base):
    """One suspension period of a bed (history); `end` is None while it lasts."""

    __tablename__ = "roster_suspensions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(64))


class AssignmentRow(Base):
    """A worker assigned to a bed by the provider admin: the caregiver sees and serves it."""

    __tablename__ = "bed_assignments"

    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), primary_key=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WorkerRow(Base):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    certificates: Mapped[list[str]] = mapped_column(JSON)
    user_sub: Mapped[str | None] = mapped_column(String(128), unique=True)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TrainingRow(Base):
    """A family-caregiver training (000 §四(三): one free training per bed period)."""

    __tablename__ = "trainings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    trainee_name: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))
    trained_on: Mapped[date] = mapped_column(Date)
    free: Mapped[bool] = mapped_column(Boolean)
    trainer_worker_id: Mapped[str | None] = mapped_column(String(36))
    recorded_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VisitRow(Base):
    """The current version of a visit; every version is kept in `visit_versions`."""

    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("created_by", "idempotency_key", name="uq_visit_idem"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    worker_id: Mapped[str] = mapped_column(ForeignKey("workers.id"), index=True)
    worker_role: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), index=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    check_in: Mapped[dict[str, Any]] = mapped_column(JSON)
    check_out: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    check_in_at: Mapped[datetime] = mapped_column(UtcDateTime)
    check_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    items: Mapped[list[str]] = mapped_column(JSON)
    caregiver_present: Mapped[bool | None] = mapped_column(Boolean)
    corroboration: Mapped[str | None] = mapped_column(String(16))
    confirmation: Mapped[str | None] = mapped_column(String(12))
    confirmation_note: Mapped[str | None] = mapped_column(Text)
    counted: Mapped[bool] = mapped_column(Boolean)  # in the daily rollup
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VisitVersionRow(Base):
    """An immutable snapshot of one version of a visit, with who changed it, when and why."""

    __tablename__ = "visit_versions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(24))
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_sub: Mapped[str] = mapped_column(String(128))
    actor_role: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class VisitExceptionRow(Base):
    __tablename__ = "visit_exceptions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class ObservationRow(Base):
    """A measurement taken during a visit (blood pressure, temperature, glucose, …)."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), index=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    value2: Mapped[float | None] = mapped_column(Float)  # diastolic of a blood pressure
    unit: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DailyRollupRow(Base):
    """Per bed and Shanghai day: verified on-site visits and seconds, updated O(1) per visit."""

    __tablename__ = "daily_rollups"

    bed_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    on_site_visits: Mapped[int] = mapped_column(Integer)
    service_seconds: Mapped[int] = mapped_column(Integer)
    medic_visits: Mapped[int] = mapped_column(Integer)
    caregiver_absent_visits: Mapped[int] = mapped_column(Integer)


class BreachRow(Base):
    """A minimum.breached already raised (the close job never raises one twice)."""

    __tablename__ = "breaches"
    __table_args__ = (UniqueConstraint("bed_id", "rule", "marker", name="uq_breach"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    rule: Mapped[str] = mapped_column(String(24))
    period: Mapped[str] = mapped_column(String(7))
    marker: Mapped[str] = mapped_column(String(32))  # the day, window or period judged
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PlanItemRow(Base):
    """A recurring task a provider admin added to a bed's plan (item code, every N days, window).

    Intake's care plan is not in the bed events, so these are entered here (README, "Plan")."""

    __tablename__ = "plan_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    every_days: Mapped[int] = mapped_column(Integer)
    anchor: Mapped[date] = mapped_column(Date)
    due_time: Mapped[str] = mapped_column(String(5))  # HH:MM, Shanghai
    before_minutes: Mapped[int] = mapped_column(Integer)
    after_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TaskRow(Base):
    """One planned task of a bed (or a follow-up for the provider admin), with its window."""

    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("bed_id", "plan_key", "day", name="uq_task_plan_day"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    plan_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))
    item_code: Mapped[str | None] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON)
    day: Mapped[date] = mapped_column(Date, index=True)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    assignee_worker_id: Mapped[str | None] = mapped_column(String(36), index=True)
    visit_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SurveyRow(Base):
    """A satisfaction survey sent for a bed (monthly, or after a resolved alarm) and its answers."""

    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("bed_id", "template", "context", name="uq_survey"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("roster_beds.bed_id"), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    elder_id: Mapped[str] = mapped_column(String(64))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    template: Mapped[str] = mapped_column(String(32))
    context: Mapped[str] = mapped_column(String(80))  # month:YYYY-MM or alarm:<alarm_id>
    status: Mapped[str] = mapped_column(String(12), index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    period: Mapped[str | None] = mapped_column(String(7), index=True)  # month answered
    respondent_sub: Mapped[str | None] = mapped_column(String(128))
    respondent_role: Mapped[str | None] = mapped_column(String(24))
    answers: Mapped[dict[str, int] | None] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)


class ArchiveEntryRow(Base):
    """One line of a bed's service archive (服务档案, "one person, one file", 004 §二(四)1):
    a visit verified, corrected or voided, an observation, an alarm event, a bed change."""

    __tablename__ = "archive_entries"
    __table_args__ = (UniqueConstraint("bed_id", "kind", "type", "ref", name="uq_archive_entry"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    elder_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # visit | observation | alarm | bed
    type: Mapped[str] = mapped_column(String(32))  # visit.verified, alarm.raised, bed.suspended
    ref: Mapped[str] = mapped_column(String(80))  # visit id:version, alarm id:seq, event id
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)


CHASSIS_TABLES = chassis_tables(Base.metadata)
