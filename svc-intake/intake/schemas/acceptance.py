"""Acceptance DTOs (验收, 001 §四(五)): the provider's application, the joint inspection, the
officer's return or acceptance, and the application as read back (amounts in fen)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StrictInt, StringConstraints

from chassis.dto import Input, Output
from homebed_schemas.events.bed_workflows import InvestmentCategory
from intake.schemas.common import ShortText

LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class InvestmentLineIn(Input):
    category: InvestmentCategory
    description: ShortText
    amount_fen: StrictInt = Field(ge=1, le=100_000_000)


class InvestmentIn(Input):
    """建设投入清单: the lines and their total (which must be their sum)."""

    lines: list[InvestmentLineIn] = Field(min_length=1, max_length=100)
    total_fen: StrictInt = Field(ge=1, le=10_000_000_000)


class ServiceDataLineIn(Input):
    item: ShortText
    times: StrictInt = Field(ge=0, le=100_000)
    total_minutes: StrictInt = Field(ge=0, le=10_000_000)


class ServiceDataIn(Input):
    """服务数据信息清单: the services delivered from period_start to period_end."""

    period_start: date
    period_end: date
    lines: list[ServiceDataLineIn] = Field(min_length=1, max_length=200)


class AcceptanceApply(Input):
    contract_id: str = Field(min_length=1, max_length=36, description="the bed's service contract")
    investment: InvestmentIn
    service_data: ServiceDataIn


class InspectionIn(Input):
    """The joint inspection at home (共同入户验收): both sides' inspectors and what they found."""

    inspected_on: date
    street_inspectors: list[ShortText] = Field(min_length=1, max_length=10)
    community_inspectors: list[ShortText] = Field(min_length=1, max_length=10)
    findings: LongText


class ReturnIn(Input):
    reasons: list[ShortText] = Field(min_length=1, max_length=20)


class AcceptIn(Input):
    note: ShortText | None = None


class InvestmentLineRead(Output):
    category: str
    description: str
    amount_fen: int


class InvestmentRead(Output):
    lines: list[InvestmentLineRead]
    total_fen: int


class ServiceDataLineRead(Output):
    item: str
    times: int
    total_minutes: int


class ServiceDataRead(Output):
    period_start: date
    period_end: date
    lines: list[ServiceDataLineRead]


class InspectionRead(Output):
    inspected_on: date
    street_inspectors: list[str]
    community_inspectors: list[str]
    findings: str
    recorded_by: str


class AcceptanceRead(Output):
    id: str
    bed_id: str
    attempt: int
    status: str = Field(description="applied, inspected, returned or accepted")
    contract_id: str
    investment: InvestmentRead
    service_data: ServiceDataRead
    applied_by: str
    applied_on: date
    inspection: InspectionRead | None
    reasons: list[str] = Field(description="why the officer returned it")
    decision_note: str | None
    decided_by: str | None
    decided_on: date | None
    created_at: datetime
    updated_at: datetime
