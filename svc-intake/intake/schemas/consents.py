"""Consent DTOs (issue 11): record a consent or refusal, withdraw it, read the history."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, Field

from chassis.dto import Input, Output
from homebed_schemas.events.bed_workflows import (
    ConsentDecision,
    ConsentGiver,
    ConsentMethod,
    ConsentScope,
)
from intake.schemas.common import ShortText


class ConsentCreate(Input):
    scope: ConsentScope
    decision: ConsentDecision
    given_by: ConsentGiver
    giver_name: ShortText
    relation: ShortText | None = Field(
        default=None, description="the giver's relation to the elder; empty when the elder gives it"
    )
    method: ConsentMethod
    given_at: AwareDatetime
    evidence_ref: ShortText | None = Field(
        default=None,
        description="the signed form's scan or the electronic record; written and "
        "electronic consents need one",
    )
    witness_name: ShortText | None = Field(
        default=None, description="who witnessed an oral consent (oral_witnessed needs one)"
    )
    note: ShortText | None = None


class ConsentWithdraw(Input):
    reason: ShortText
    method: ConsentMethod
    evidence_ref: ShortText | None = None


class ConsentRead(Output):
    id: str
    bed_id: str
    scope: str
    guards: str = Field(description="the step this scope guards (sign_contract, install_camera, …)")
    required: bool = Field(description="the jurisdiction requires this scope before that step")
    citation: str | None
    decision: str
    status: str = Field(description="granted, refused or withdrawn")
    in_force: bool = Field(description="granted, not withdrawn, and the latest of its scope")
    given_by: str
    giver_name: str
    relation: str | None
    method: str
    given_at: datetime
    evidence_ref: str | None
    witness_name: str | None
    note: str | None
    recorded_by: str
    recorded_role: str
    recorded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawn_role: str | None
    withdrawal_method: str | None
    withdrawal_reason: str | None
    withdrawal_evidence_ref: str | None
