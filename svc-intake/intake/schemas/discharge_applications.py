"""Pre-filled applications opened by a partner hospital's discharge referral."""

from __future__ import annotations

from datetime import date, datetime

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
    status: str
    created_at: datetime
