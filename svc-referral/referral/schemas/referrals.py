"""DTOs of referrals: create, actions, the read model and list items."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chassis.dto import Input, Output

ORG_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


class ReceiverIn(Input):
    organisation_id: str = Field(pattern=ORG_ID, description="the receiving organisation's id")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(
        default=None,
        max_length=32,
        description="checked against the path's receiver kind when given (409 when it differs)",
    )


class DischargeIn(Input):
    """hospital → home bed: what the hospital pre-fills for intake's application (no PII: the
    elder's identity is entered in intake by the receiving provider with the family)."""

    jurisdiction: str = Field(pattern=r"^\d{6}$")
    region_code: str = Field(pattern=r"^\d{6,12}$", description="where the elder lives")
    expected_discharge_on: date
    follow_up_visit_on: date | None = Field(
        default=None, description="the follow-up visit that found the elder fit to go home"
    )
    summary: str | None = Field(default=None, max_length=500, description="care needs, coded")


class ReferralCreate(Input):
    path: str = Field(
        min_length=1,
        max_length=32,
        description="family_sickbed | nursing_home | disability_federation | hospital | home_bed",
    )
    receiver: ReceiverIn
    bed_id: str | None = Field(default=None, min_length=1, max_length=64)
    consent_id: str | None = Field(
        default=None, max_length=36, description="hospital path: the family's consent"
    )
    discharge: DischargeIn | None = Field(default=None, description="home_bed path only")
    note: str | None = Field(default=None, max_length=1000)


class ReferralAction(Input):
    """The body of `POST /v1/referrals/{id}/actions/{action}`."""

    reason_code: str | None = Field(
        default=None, max_length=64, description="reject, cancel, hold, fail: required"
    )
    reason: str | None = Field(default=None, max_length=500)
    business_status: str | None = Field(default=None, max_length=64)
    day: date | None = Field(
        default=None, description="complete: admitted on; end_service: the service ended on"
    )


class PartyRead(Output):
    organisation_id: str
    kind: str
    name: str | None


class ReferralRead(Output):
    id: str
    path: str
    status: str
    business_status: str | None
    reason_code: str | None
    reason: str | None
    requester: PartyRead
    receiver: PartyRead
    bed_id: str | None
    elder_id: str | None
    provider_id: str | None
    jurisdiction: str
    region_code: str
    consent_id: str | None
    admitted_on: date | None
    service_ended_on: date | None
    discharge: dict[str, str | None] | None
    bed_effect: str
    step: str | None = Field(description="the step the referral waits for, if any")
    due_at: datetime | None = Field(description="when that step is due (UTC)")
    escalated_at: datetime | None
    created_at: datetime
    updated_at: datetime
    your_role: str | None = Field(description="requester | receiver | None (read-only)")
    allowed_actions: list[str] = Field(description="what the caller may do now")


class ReferralSummary(Output):
    id: str
    path: str
    status: str
    business_status: str | None
    requester_id: str
    receiver_id: str
    bed_id: str | None
    due_at: datetime | None
    updated_at: datetime


class HistoryRead(Output):
    event_type: str
    status: str
    business_status: str | None
    reason_code: str | None
    actor: str
    party: str
    at: datetime
