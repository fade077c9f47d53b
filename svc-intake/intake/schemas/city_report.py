"""DTOs of the internal city-report read (svc-reporting assembles 000 附件1 from it)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from chassis.dto import Input, Output


class CityReportQuery(Input):
    provider_id: str = Field(min_length=1, max_length=64)
    day: date
    purpose: Literal["city_report"]


class ReportAddress(Output):
    region_code: str
    detail: str


class ReportInstallation(Output):
    item_id: str
    name: str
    kind: str
    device_type: str | None
    count: int


class ReportAgreement(Output):
    reference: str
    text_sha256: str
    signed_on: date


class ReportBed(Output):
    bed_id: str
    provider_id: str
    region_code: str
    status: str
    name: str
    id_number: str = Field(description="in full: this read is audited with purpose city_report")
    hukou_address: ReportAddress
    bed_address: ReportAddress
    ability_level: str | None
    economic_status: str
    established_on: date
    ended_on: date | None
    end_reason: str | None
    installations: list[ReportInstallation]
    agreement: ReportAgreement | None
    monthly_visits: int
    monthly_fee_fen: int | None


class CityReportBeds(Output):
    provider_id: str
    day: date
    beds: list[ReportBed]
