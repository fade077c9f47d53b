"""Payloads of `records.visits.v1` (producer: svc-service-records), keyed by bed_id.

Visits are verified records (EVV): a visit is published when it becomes verified, again as a new
version when corrected, and when voided. The elder is the pseudonymous `elder_id`.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class VisitMode(StrEnum):
    ON_SITE = "on_site"  # 上门
    VIDEO = "video"  # 视频巡视
    PHONE = "phone"  # 电话问候


class MinimumRule(StrEnum):
    """Service minimums of 001 §四(三)3 and the caregiver-present rule of 001 §五(三)."""

    DAILY_VISIT = "daily_visit"
    MONTHLY_HOURS = "monthly_hours"
    MEDIC_BIWEEKLY = "medic_biweekly"
    CAREGIVER_PRESENT = "caregiver_present"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VisitEvent(_Payload):
    """One version of a visit: who served whom, what, when (000 Annex 1: to the second)."""

    visit_id: str
    version: int = Field(ge=1)
    bed_id: str
    provider_id: str
    elder_id: str
    worker_id: str
    worker_role: str
    mode: VisitMode
    status: str
    check_in_at: datetime
    check_out_at: datetime | None = None
    service_date: date = Field(description="Asia/Shanghai date of the check-in")
    service_seconds: int = Field(ge=0)
    items: list[str] = Field(default_factory=list, description="catalogue item codes")
    categories: list[str] = Field(
        default_factory=list, description="reporting categories of 000 Annex 1"
    )
    caregiver_present: bool | None = None
    reason: str | None = Field(default=None, description="why corrected or voided")
    value_fen: int | None = Field(
        default=None,
        ge=0,
        description="the value of the services delivered in fen, when the provider priced them; "
        "svc-subsidy settles e-vouchers against it (004 §二(四)3 服务后结算). None: unpriced",
    )
    occurred_at: datetime


class SurveyEvent(_Payload):
    survey_id: str
    bed_id: str
    provider_id: str
    elder_id: str
    template: str
    score: float = Field(ge=0, le=100, description="normalised 0..100")
    respondent_role: str
    context: str | None = Field(default=None, description="e.g. alarm:<alarm_id>")
    occurred_at: datetime


class MinimumBreached(_Payload):
    """A service minimum missed: a day closed without a visit, or a month's figure short."""

    bed_id: str
    provider_id: str
    elder_id: str
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    rule: MinimumRule
    period: str = Field(pattern=r"^\d{4}-\d{2}$")
    day: date | None = Field(default=None, description="the day closed without a visit")
    window_start: date | None = Field(default=None, description="a 14-day medic window")
    window_end: date | None = None
    service_seconds: int | None = Field(default=None, ge=0)
    required_seconds: int | None = Field(default=None, ge=0)
    occurred_at: datetime


VISIT_EVENTS: dict[str, type[BaseModel]] = {
    "visit.verified": VisitEvent,
    "visit.corrected": VisitEvent,
    "visit.voided": VisitEvent,
    "survey.answered": SurveyEvent,
    "minimum.breached": MinimumBreached,
}
