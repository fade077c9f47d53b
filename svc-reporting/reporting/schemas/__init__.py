"""DTOs of svc-reporting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from chassis.dto import Input, Output

ProviderId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ReportSummary(Output):
    batch_id: str
    provider_id: str
    report_date: date
    kind: str
    corrects_batch_id: str | None
    status: str = Field(description="pending, sent, acknowledged, failed, or late")
    on_time: bool
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    receipt_id: str | None
    sent_at: datetime | None
    acknowledged_at: datetime | None


class ReportRerun(Input):
    provider_id: ProviderId
    first: date
    last: date


class RerunRead(Output):
    scheduled: list[ReportSummary]


class ProviderProfileUpdate(Input):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    medical_partner: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class ProviderProfileRead(Output):
    provider_id: str
    name: str
    medical_partner: str | None


class SupervisionRow(Output):
    region_code: str
    provider_id: str
    active_beds: int
    reports_expected: int
    reports_received: int
    reports_on_time: int
    completeness: float | None = Field(description="received / expected")
    timeliness: float | None = Field(description="on time / expected")
    minimum_breaches: int
    alarms: int
    alarms_within_15_min: int
    alarm_compliance: float | None
    satisfaction_average: float | None
    satisfaction_answers: int
    open_exceptions: int = Field(description="report days failed or late, not acknowledged")


class SupervisionRead(Output):
    first: date
    last: date
    rows: list[SupervisionRow]
