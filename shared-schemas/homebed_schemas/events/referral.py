"""Payloads of `referral.referrals.v1` (producer: svc-referral), keyed by referral_id.

A referral (转介转养) moves an elder of a home bed to another kind of care, or brings one home:
family sickbed and disability-federation nursing bed (000 §三(五)), nursing home (转养, 000 §三(五),
003 §四.5), hospital and back (004 §二(四)1). Its life follows the FHIR R4 Task statuses
(requested → received → accepted | rejected; accepted → in_progress → completed | failed;
on_hold; cancelled by the requester), one event per change, named after the status reached.

`referral.service_ended` is the one event past `completed`: the service the referral led to has
ended (the family sickbed was closed, the elder left the hospital). The Task stays `completed`;
intake needs the fact to undo what `completed` did to the bed (the combination with the family
sickbed, the suspension for the hospital stay).

No plaintext ID number, name or phone ever appears here: the elder is intake's pseudonymous
`elder_id`; reasons are codes plus a short text written for supervisors, not clinical notes.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ReferralPath(StrEnum):
    """Where the referral takes the elder."""

    FAMILY_SICKBED = "family_sickbed"  # 家庭病床, by primary care (000 §三(五))
    NURSING_HOME = "nursing_home"  # 转养: admission to an institution (000 §三(五), 003 §四.5)
    HOSPITAL = "hospital"  # partner hospital, the condition worsened (004 §二(四)1)
    DISABILITY_FEDERATION = (
        "disability_federation"  # 残联: multi-function nursing bed (000 §三(五))
    )
    HOME_BED = "home_bed"  # hospital → home bed on discharge: the elder has no bed yet


class ReferralStatus(StrEnum):
    """FHIR R4 Task.status values a referral passes through."""

    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OrganisationKind(StrEnum):
    PRIMARY_CARE = "primary_care"  # 基层医疗卫生机构 (family sickbeds)
    NURSING_HOME = "nursing_home"  # 养老机构
    HOSPITAL = "hospital"  # 合作医院
    DISABILITY_FEDERATION = "disability_federation"  # 残联
    HOME_BED_PROVIDER = "home_bed_provider"  # the provider running the home bed


REASON_STATUSES = frozenset(
    {
        ReferralStatus.REJECTED,
        ReferralStatus.ON_HOLD,
        ReferralStatus.FAILED,
        ReferralStatus.CANCELLED,
    }
)


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReferralParty(_Payload):
    """An organisation that sends or receives a referral."""

    organisation_id: str = Field(min_length=1, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    kind: OrganisationKind


class ReferralDischarge(_Payload):
    """hospital → home bed: what the partner hospital pre-fills for intake's application (no PII:
    the elder's identity is entered in intake by the receiving provider with the family)."""

    jurisdiction: str = Field(pattern=r"^\d{6}$")
    region_code: str = Field(pattern=r"^\d{6,12}$", description="where the elder lives")
    expected_discharge_on: date
    follow_up_visit_on: date | None = Field(
        default=None, description="the follow-up visit that found the elder fit to go home"
    )
    summary: str | None = Field(default=None, max_length=500)


class ReferralEvent(_Payload):
    """One change of a referral: `status` is the Task status reached by the event."""

    referral_id: str = Field(min_length=1, max_length=64)
    path: ReferralPath
    status: ReferralStatus
    bed_id: str | None = Field(
        default=None,
        max_length=64,
        description="the home bed the elder leaves or combines; None only on the home_bed path",
    )
    elder_id: str | None = Field(
        default=None,
        max_length=64,
        description="intake's pseudonymous elder id; None only on the home_bed path",
    )
    provider_id: str | None = Field(
        default=None, max_length=64, description="the provider running the home bed"
    )
    requester: ReferralParty
    receiver: ReferralParty = Field(description="the receiving organisation")
    business_status: str | None = Field(
        default=None, max_length=64, description="a finer step: scheduled, arrived, no_show, …"
    )
    reason_code: str | None = Field(
        default=None,
        max_length=64,
        description="coded reason; required for rejected, on_hold, failed and cancelled",
    )
    reason: str | None = Field(default=None, max_length=500)
    admitted_on: date | None = Field(
        default=None,
        description="completed: the day the receiver took the elder on (admission to the nursing "
        "home or hospital, the family sickbed opened, the nursing bed delivered)",
    )
    service_ended_on: date | None = Field(
        default=None,
        description="service_ended: the day the receiver's service ended (family sickbed "
        "closed, discharged from hospital)",
    )
    consent_id: str | None = Field(
        default=None, max_length=64, description="the consent covering what the receiver sees"
    )
    discharge: ReferralDischarge | None = Field(
        default=None, description="home_bed path only: the pre-filled application's data"
    )
    occurred_at: datetime

    @model_validator(mode="after")
    def _a_bed_unless_coming_home(self) -> ReferralEvent:
        if self.path is not ReferralPath.HOME_BED and (self.bed_id is None or not self.elder_id):
            raise ValueError(f"a {self.path.value} referral names its bed_id and elder_id")
        if self.discharge is not None and self.path is not ReferralPath.HOME_BED:
            raise ValueError("only a home_bed referral carries a discharge")
        return self


class ReferralWithReason(ReferralEvent):
    """rejected, on_hold, failed, cancelled: a coded reason is required (FHIR statusReason)."""

    reason_code: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _status_needs_a_reason(self) -> ReferralWithReason:
        if self.status not in REASON_STATUSES:
            raise ValueError(f"status {self.status.value} carries no reason code")
        return self


class ReferralCompleted(ReferralEvent):
    """The receiver took the elder on; for a nursing home this admission ends the home bed."""

    status: Literal[ReferralStatus.COMPLETED] = ReferralStatus.COMPLETED
    admitted_on: date = Field(
        description="the day the receiver took the elder on (admission to the nursing home or "
        "hospital, the family sickbed opened, the nursing bed delivered)"
    )


class ReferralServiceEnded(ReferralEvent):
    """The service the referral led to ended; the Task stays completed."""

    status: Literal[ReferralStatus.COMPLETED] = ReferralStatus.COMPLETED
    admitted_on: date | None = None
    service_ended_on: date = Field(
        description="the day the receiver's service ended (family sickbed closed, discharged)"
    )


class ReferralDeadlineMissed(ReferralEvent):
    """A step's deadline passed before the referral moved on (escalated once per step); the
    status is the one the referral is still in. Deadlines are data per jurisdiction (Chinese
    working days); `escalate_to` says who is told."""

    step: Literal["acknowledge", "decide", "start", "complete"]
    due_at: datetime
    escalate_to: tuple[str, ...] = Field(min_length=1, max_length=3)


REFERRAL_EVENTS: dict[str, type[BaseModel]] = {
    "referral.requested": ReferralEvent,
    "referral.received": ReferralEvent,
    "referral.accepted": ReferralEvent,
    "referral.in_progress": ReferralEvent,
    "referral.rejected": ReferralWithReason,
    "referral.on_hold": ReferralWithReason,
    "referral.failed": ReferralWithReason,
    "referral.cancelled": ReferralWithReason,
    "referral.completed": ReferralCompleted,
    "referral.service_ended": ReferralServiceEnded,
    # a finer step (Task.businessStatus) and a missed deadline: the status does not change
    "referral.business_status_changed": ReferralEvent,
    "referral.deadline_missed": ReferralDeadlineMissed,
}
