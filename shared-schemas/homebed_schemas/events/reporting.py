"""Payloads of `reporting.city_reports.v1` (producer: svc-reporting), keyed by provider_id.

The T+1 report (000 §三(二)): each provider's day goes to the city platform from 01:00 of the
next day (Asia/Shanghai). `city_report.late`: 24:00 of T+1 passed and the platform has not
acknowledged the day (announced once per day; the push keeps retrying). No elder's data here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CityReportLate(_Payload):
    provider_id: str = Field(min_length=1, max_length=64)
    report_date: date = Field(description="the day the report covers (T)")
    batch_id: str = Field(description="the day's original batch (deterministic per provider, day)")
    deadline: datetime = Field(description="24:00 of T+1, Asia/Shanghai, as UTC")
    status: Literal["pending", "sent", "failed"] = Field(
        description="where the batch stands: never tried, sent without acknowledgement, failing"
    )
    attempts: int = Field(ge=0)
    last_error: str | None = Field(default=None, description="a code, never a body")
    occurred_at: datetime


CITY_REPORT_EVENTS: dict[str, type[BaseModel]] = {
    "city_report.late": CityReportLate,
}
