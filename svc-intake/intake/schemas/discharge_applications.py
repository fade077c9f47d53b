"""Pre-filled applications opened by a partner hospital's discharge referral."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chassis.dto import Output


class DischargeApplicationRead(Output):
    referral_id: str
    provider_id: str
    hospital_id: str
    hospital_name: str | None
    jurisdiction: str
    region_code: str
    expected_discharge_on: date
    follow_up_visit_on: date | None
    summary: str | None
    referral_status: str
    status: str = Field(
        description="open: waiting for the provider; linked: an application completes it "
        "(`application_id`); closed: the referral was rejected, cancelled or failed first"
    )
    application_id: str | None = Field(description="linked: the application that completes it")
    created_at: datetime
