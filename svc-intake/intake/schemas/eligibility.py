"""The public policy calculator: `POST /v1/eligibility/check`."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from chassis.dto import Input, Output
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.schemas.common import JurisdictionCode


class EligibilityCheck(Input):
    """Exactly the body of issue 3; `birth_date` or `id_number` gives the age."""

    jurisdiction: JurisdictionCode
    as_of: date
    birth_date: date | None = None
    id_number: str | None = Field(default=None, min_length=1, max_length=32)
    hukou_local: bool | None = None
    resides_locally: bool | None = None
    in_pilot_area: bool | None = None
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = Field(default=None, ge=0, le=6)
    has_stable_caregiver: bool | None = None
    is_renter: bool | None = None
    economic_status: EconomicStatus | None = None


class RuleRead(Output):
    id: str
    passed: bool
    citation: str
    reason: str
    basis: str


class EligibilityRead(Output):
    eligible: bool
    priority: bool
    unmet: list[str]
    rules: list[RuleRead]
    age: int | None
