"""DTOs of the calculators: `POST /v1/subsidies/preview` and `/v1/subsidies/scale-award/preview`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, StrictBool, StrictInt, field_validator

from chassis.dto import Input, Output
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus

JURISDICTION = Field(pattern=r"^\d{6}$", description="GB/T 2260 code of the subsidy profile")
PERIOD = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="calendar month YYYY-MM")
Fen = StrictInt


class PreviewBed(Input):
    """The facts of one bed; a fact left null makes the rules that need it skip with a note."""

    birth_date: date | None = None
    ability_level: AbilityLevel | None = None
    economic_status: EconomicStatus | None = None
    package_fee_fen: Fen | None = Field(default=None, ge=0)
    contract_start: date | None = None
    contract_end: date | None = None
    established_on: date | None = None
    accepted_on: date | None = None
    terminated_on: date | None = None
    construction_investment_fen: Fen | None = Field(default=None, ge=0)
    construction_paid_fen: Fen = Field(default=0, ge=0)
    modification_cost_fen: Fen | None = Field(default=None, ge=0)
    modification_consent: StrictBool | None = None
    voucher_fen: Fen | None = Field(default=None, ge=0)
    services_delivered_fen: Fen | None = Field(default=None, ge=0)

    @field_validator("construction_paid_fen", mode="before")
    @classmethod
    def _null_paid_is_zero(cls, value: object) -> object:
        return 0 if value is None else value


class SubsidyPreview(Input):
    jurisdiction: str = JURISDICTION
    period: str = PERIOD
    bed: PreviewBed


class PreviewLine(Output):
    kind: Literal[
        "construction", "low_income_service", "operating", "modification", "voucher_settlement"
    ]
    amount_fen: int
    payee: Literal["provider", "elder"]
    rule: str
    seed: str = Field(description="the seed citation, e.g. 001 §四(七)1")
    explanation: str = Field(description="inputs and arithmetic of the line")


class SkippedNote(Output):
    kind: str
    rule: str
    note: str


class SubsidyPreviewRead(Output):
    lines: list[PreviewLine]
    total_fen: int
    notes: list[SkippedNote] = Field(description="rules skipped, and why (a missing fact etc.)")


class MonthCountIn(Input):
    period: str = PERIOD
    qualifying_elders: StrictInt = Field(ge=0, le=1_000_000)


class ScaleAwardPreview(Input):
    jurisdiction: str = JURISDICTION
    months: list[MonthCountIn] = Field(max_length=600)


class ScaleAwardRead(Output):
    tier: int
    window: str = Field(description="YYYY-MM..YYYY-MM, the earliest window reaching the tier")
    amount_fen: int
    district_match_fen: int


class ScaleAwardPreviewRead(Output):
    awards: list[ScaleAwardRead]
