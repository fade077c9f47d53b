"""DTOs of consents and the disclosure log."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chassis.dto import Input, Output
from referral.domain.consent import Category, Grantor, Method, Purpose


class ConsentCreate(Input):
    bed_id: str = Field(min_length=1, max_length=64, description="the elder's home bed")
    grantor: Grantor
    grantor_name_masked: str | None = Field(
        default=None, max_length=100, description="family: the named member, masked (张**)"
    )
    grantor_relationship: str | None = Field(default=None, max_length=32)
    receiver_id: str = Field(min_length=1, max_length=64, description="the receiving organisation")
    purpose: Purpose = Purpose.REFERRAL
    categories: list[Category] = Field(min_length=1, max_length=7)
    valid_from: datetime
    valid_until: datetime
    method: Method
    form_reference: str | None = Field(
        default=None, max_length=200, description="signed_form: the form's reference"
    )


class ConsentRead(Output):
    id: str
    elder_id: str
    bed_id: str
    grantor: str
    grantor_name_masked: str | None
    grantor_relationship: str | None
    receiver_id: str
    purpose: str
    categories: list[str]
    valid_from: datetime
    valid_until: datetime
    method: str
    form_reference: str | None
    status: str
    withdrawn_at: datetime | None
    recorded_by: str
    created_at: datetime


class DisclosureRead(Output):
    id: str
    referral_id: str
    consent_id: str
    receiver_id: str
    accessed_by: str
    categories: list[str]
    at: datetime
