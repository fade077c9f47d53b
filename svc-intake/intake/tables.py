"""SQLAlchemy 2 mapped classes of svc-intake.

ID and phone numbers are never stored in plaintext: `*_sealed` holds the AES-GCM token (with its
key id for rotation), `*_index` the HMAC blind index for look-ups, `*_tail` the last 4 characters
that lists show. `active_elder_id` is set while an application (or bed) is active and cleared when
it ends: a unique column that holds at most one active one per elder even under races.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import BigIntId, UtcDateTime, chassis_tables


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


CHASSIS_TABLES = chassis_tables(Base.metadata)


class ElderRow(Base):
    __tablename__ = "elders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # pseudonymous elder_id
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_sealed: Mapped[str] = mapped_column(String(255))
    id_number_key_id: Mapped[str] = mapped_column(String(32))
    id_number_tail: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]


class ApplicationRow(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    elder_id: Mapped[str] = mapped_column(ForeignKey("elders.id"), index=True)
    active_elder_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)  # current address
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    applicant_sub: Mapped[str] = mapped_column(String(128), index=True)
    entered_by: Mapped[str | None] = mapped_column(String(128))  # staff who keyed it in
    form: Mapped[dict[str, Any]]  # 002 Annex 1 fields other than ID and phone numbers
    caregiver_phone_sealed: Mapped[str | None] = mapped_column(String(255))
    caregiver_phone_key_id: Mapped[str | None] = mapped_column(String(32))
    caregiver_phone_tail: Mapped[str | None] = mapped_column(String(4))
    caregiver_phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    emergency_phone_sealed: Mapped[str | None] = mapped_column(String(255))
    emergency_phone_key_id: Mapped[str | None] = mapped_column(String(32))
    emergency_phone_tail: Mapped[str | None] = mapped_column(String(4))
    in_pilot_area: Mapped[bool | None] = mapped_column(Boolean)
    has_stable_caregiver: Mapped[bool | None] = mapped_column(Boolean)
    is_renter: Mapped[bool | None] = mapped_column(Boolean)
    economic_status: Mapped[str | None] = mapped_column(String(8))
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ability_level: Mapped[str | None] = mapped_column(String(10))
    care_needs_level: Mapped[int | None] = mapped_column(Integer)
    reviews: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    # the name as this applicant entered it (answers never show another application's entry)
    name: Mapped[str | None] = mapped_column(String(100))
    # another active application or bed of the elder the caller could not see (issue 10 #9):
    # accepted without telling them, shown to officers only, never approved while that one lives
    duplicate_of: Mapped[str | None] = mapped_column(String(36))
    # the partner hospital's discharge referral this application completes (004 §二(四)1):
    # one application per referral
    discharge_referral_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # one-time code provider staff hand to the elder or family (HMAC at rest, expiring)
    link_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    link_code_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class BedRow(Base):
    __tablename__ = "beds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    elder_id: Mapped[str] = mapped_column(ForeignKey("elders.id"), index=True)
    active_elder_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    applicant_sub: Mapped[str] = mapped_column(String(128), index=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    ability_level: Mapped[str | None] = mapped_column(String(10))
    care_needs_level: Mapped[int | None] = mapped_column(Integer)
    economic_status: Mapped[str] = mapped_column(String(8))
    guidance: Mapped[dict[str, Any]]
    care_plan: Mapped[list[Any] | None] = mapped_column(JSON)
    established_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    inspections: Mapped[list[Any]] = mapped_column(JSON, default=list)
    suspended_on: Mapped[date | None] = mapped_column(Date)
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    end_reason: Mapped[str | None] = mapped_column(String(24))
    event_date: Mapped[date | None] = mapped_column(Date)
    update_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_estimated: Mapped[bool | None] = mapped_column(Boolean)
    late_update: Mapped[bool | None] = mapped_column(Boolean)
    transfer_target: Mapped[str | None] = mapped_column(String(24))
    end_note: Mapped[str | None] = mapped_column(Text)
    # the update deadline counts from the contract's dissolution, not the event (001 §四(六))
    contract_dissolved_on: Mapped[date | None] = mapped_column(Date)
    contract_dissolved_by: Mapped[str | None] = mapped_column(String(128))
    # combined with a family sickbed (000 §三(五)) until that referral's service ends
    family_sickbed_referral_id: Mapped[str | None] = mapped_column(String(64))
    family_sickbed_since: Mapped[date | None] = mapped_column(Date)
    # re-assessed after establishment: the care plan is due for revision (001 §四(四)5)
    care_plan_revision_due_since: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class ContractRow(Base):
    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    elder_id: Mapped[str] = mapped_column(String(36), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    base_package_fee_fen: Mapped[int] = mapped_column(Integer)
    personal_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_first: Mapped[bool] = mapped_column(Boolean)
    signed_on: Mapped[date] = mapped_column(Date)
    signed_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    # the provider that signed it: after a provider change the history keeps the old one's
    provider_id: Mapped[str | None] = mapped_column(String(64))
    dissolved_on: Mapped[date | None] = mapped_column(Date)
    dissolved_by: Mapped[str | None] = mapped_column(String(128))
    dissolution_reason: Mapped[str | None] = mapped_column(String(24))
    # the day the expiry notice went out (`bed.contract_expiring`, once per contract)
    expiry_notice_on: Mapped[date | None] = mapped_column(Date)


class InstallationRow(Base):
    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("bed_id", "item_id", name="uq_installation_item"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))
    device_type: Mapped[str | None] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime]


class RegisteredDeviceRow(Base):
    """Devices iot-ingest registered to a bed (`device.registered`), confirming installations."""

    __tablename__ = "registered_devices"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bed_id: Mapped[str] = mapped_column(String(36), index=True)
    device_type: Mapped[str] = mapped_column(String(32))
    registered_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class PiiAccessRow(Base):
    """Audit of every full read of an ID or phone number: who, what, when, why."""

    __tablename__ = "pii_access_log"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    actor_sub: Mapped[str] = mapped_column(String(128), index=True)
    actor_role: Mapped[str] = mapped_column(String(24))
    actor_provider_id: Mapped[str | None] = mapped_column(String(64))
    elder_id: Mapped[str] = mapped_column(String(36), index=True)
    application_id: Mapped[str | None] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(24))
    purpose: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))
    accessed_at: Mapped[datetime]


class ProviderRow(Base):
    """A licensed provider (001 §四(二)); its contact is the organisation's, not a person's."""

    __tablename__ = "providers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the principals' provider_id
    name: Mapped[str] = mapped_column(String(200))
    licence_no: Mapped[str] = mapped_column(String(64), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(6), index=True)
    service_area: Mapped[list[Any]] = mapped_column(JSON)  # GB/T 2260 region codes
    contact: Mapped[dict[str, Any]]
    packages: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class BedAlarmRow(Base):
    """iot-ingest's alarms, projected from `iot.alarms.v1`: the assignee of each open alarm of a
    bed (the emergency contact is read only by them). A resolved alarm stays, closed."""

    __tablename__ = "bed_alarms"

    alarm_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bed_id: Mapped[str] = mapped_column(String(64), index=True)
    provider_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(200))
    is_open: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]


class BedReferralRow(Base):
    """A referral as intake knows it (`referral.referrals.v1` or an officer's offline record):
    its last status and what it did to the bed, or why it did nothing."""

    __tablename__ = "bed_referrals"

    referral_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bed_id: Mapped[str | None] = mapped_column(
        String(64), index=True
    )  # not checked: may be unknown
    elder_id: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    receiver_id: Mapped[str | None] = mapped_column(String(64))
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    admitted_on: Mapped[date | None] = mapped_column(Date)
    service_ended_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # svc-referral | offline
    outcome: Mapped[str] = mapped_column(Text)  # what the last event did to the bed, or why not
    recorded_by: Mapped[str] = mapped_column(String(128))
    last_event_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BedAssessmentRow(Base):
    """A re-assessment after establishment (001 §四(四)5, 002 §六(六)), with the level before."""

    __tablename__ = "bed_assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    scale: Mapped[str] = mapped_column(String(16))
    ability_level: Mapped[str | None] = mapped_column(String(10))
    care_needs_level: Mapped[int | None] = mapped_column(Integer)
    previous_ability_level: Mapped[str | None] = mapped_column(String(10))
    previous_care_needs_level: Mapped[int | None] = mapped_column(Integer)
    assessor: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]


class BedProviderChangeRow(Base):
    """Civil affairs moved the bed to another provider (001 §四(六) 重新选定服务机构)."""

    __tablename__ = "bed_provider_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    from_provider_id: Mapped[str] = mapped_column(String(64))
    to_provider_id: Mapped[str] = mapped_column(String(64))
    changed_on: Mapped[date] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class ConsentRow(Base):
    """A consent given or refused for a bed's scope (issue 11): never edited, only withdrawn;
    who recorded and who withdrew it, with their role and time, is the audit trail."""

    __tablename__ = "consents"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    elder_id: Mapped[str] = mapped_column(String(36), index=True)
    scope: Mapped[str] = mapped_column(String(24))
    decision: Mapped[str] = mapped_column(String(10))
    given_by: Mapped[str] = mapped_column(String(12))
    giver_name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str | None] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime]
    evidence_ref: Mapped[str | None] = mapped_column(String(200))
    witness_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_role: Mapped[str] = mapped_column(String(24))
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))
    withdrawn_role: Mapped[str | None] = mapped_column(String(24))
    withdrawal_method: Mapped[str | None] = mapped_column(String(16))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawal_evidence_ref: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class AcceptanceRow(Base):
    """One acceptance application (验收, 001 §四(五)) of a bed: an attempt from application to
    acceptance or return. `open_bed_id` is set while it is open: at most one open per bed."""

    __tablename__ = "acceptances"
    __table_args__ = (UniqueConstraint("bed_id", "attempt", name="uq_acceptance_attempt"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    bed_id: Mapped[str] = mapped_column(ForeignKey("beds.id"), index=True)
    open_bed_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    contract_id: Mapped[str] = mapped_column(String(36))
    investment: Mapped[list[Any]] = mapped_column(JSON)
    investment_total_fen: Mapped[int] = mapped_column(Integer)
    service_period_start: Mapped[date] = mapped_column(Date)
    service_period_end: Mapped[date] = mapped_column(Date)
    service_data: Mapped[list[Any]] = mapped_column(JSON)
    applied_by: Mapped[str] = mapped_column(String(128))
    applied_on: Mapped[date] = mapped_column(Date)
    inspection: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    inspected_by: Mapped[str | None] = mapped_column(String(128))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own dict


class DischargeApplicationRow(Base):
    """hospital → home bed (004 §二(四)1): a partner hospital's discharge referral accepted by a
    provider opens a pre-filled application here; the provider completes it with the family (the
    elder's identity is entered in intake, never carried by the event) and eligibility runs as
    usual. Closed when the referral is rejected, cancelled or failed."""

    __tablename__ = "discharge_applications"

    referral_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    hospital_id: Mapped[str] = mapped_column(String(64))
    hospital_name: Mapped[str | None] = mapped_column(String(200))
    jurisdiction: Mapped[str] = mapped_column(String(6))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    expected_discharge_on: Mapped[date] = mapped_column(Date)
    follow_up_visit_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    referral_status: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), index=True)  # open | linked | closed
    application_id: Mapped[str | None] = mapped_column(String(36))  # linked: the application
    last_event_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
