"""Visits as verified records (EVV): check-in, check-out, exceptions, versions, confirmation."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from chassis.dto import Input, Output
from service_records.domain.evv import ResolutionReason
from service_records.domain.vocabulary import VisitMode


class CaptureMethod(StrEnum):
    GPS = "gps"
    NFC_TAG = "nfc_tag"
    DEVICE = "device"
    MANUAL = "manual"


class Location(Input):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)


class Capture(Input):
    """When, where and how a check-in or check-out was taken."""

    at: datetime
    location: Location | None = None
    method: CaptureMethod


class Measurement(Input):
    """An observation taken during the visit (blood pressure: value = systolic, value2 = diastolic)."""

    kind: str = Field(pattern=r"^[a-z_]{2,32}$", examples=["blood_pressure", "temperature"])
    value: float
    value2: float | None = None
    unit: str = Field(min_length=1, max_length=16)


class VisitCreate(Input):
    """Check in. A caregiver checks in as themself; a provider admin names the worker."""

    bed_id: str = Field(max_length=64)
    worker_id: str | None = Field(default=None, max_length=36)
    mode: VisitMode = VisitMode.ON_SITE
    check_in: Capture
    items: list[str] = Field(default_factory=list, max_length=60)
    caregiver_present: bool | None = None


class VisitCheckOut(Input):
    check_out: Capture
    items: list[str] | None = Field(default=None, max_length=60)
    caregiver_present: bool | None = None
    measurements: list[Measurement] = Field(default_factory=list, max_length=30)


class ExceptionResolve(Input):
    reason_code: ResolutionReason
    note: str = Field(min_length=1, max_length=2000)


class VisitCorrect(Input):
    """A correction makes a new version; the old one stays readable."""

    reason: str = Field(min_length=1, max_length=2000)
    check_in_at: datetime | None = None
    check_out_at: datetime | None = None
    items: list[str] | None = Field(default=None, max_length=60)
    caregiver_present: bool | None = None
    mode: VisitMode | None = None


class VisitVoid(Input):
    reason: str = Field(min_length=1, max_length=2000)


class VisitConfirm(Input):
    note: str | None = Field(default=None, max_length=2000)


class VisitDispute(Input):
    note: str = Field(min_length=1, max_length=2000)


class ExceptionRead(Output):
    id: int
    code: str
    detail: str
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    reason_code: str | None
    note: str | None


class ObservationRead(Output):
    kind: str
    value: float
    value2: float | None
    unit: str
    observed_at: datetime


class VisitSummary(Output):
    id: str
    version: int
    bed_id: str
    worker_id: str
    worker_role: str
    mode: VisitMode
    status: str
    service_date: date
    check_in_at: datetime
    check_out_at: datetime | None


class VisitRead(VisitSummary):
    provider_id: str
    elder_id: str
    check_in: dict[str, object]
    check_out: dict[str, object] | None
    items: list[str]
    caregiver_present: bool | None
    corroboration: str | None
    confirmation: str | None
    confirmation_note: str | None
    exceptions: list[ExceptionRead]
    observations: list[ObservationRead]
    allowed_actions: list[str]


class VisitVersionRead(Output):
    version: int
    action: str
    actor_sub: str
    actor_role: str
    reason: str | None
    at: datetime
    snapshot: dict[str, object]
