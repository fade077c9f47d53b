"""The public-to-staff minimums calculator and the live views per bed and provider."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, Field, model_validator

from chassis.dto import Input, Output
from service_records.domain.vocabulary import VisitMode, WorkerRole

PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


class SuspensionIn(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date

    @model_validator(mode="after")
    def _ordered(self) -> SuspensionIn:
        if self.to < self.from_:
            raise ValueError("to is before from")
        return self


class BedIn(Input):
    established_on: date
    suspensions: list[SuspensionIn] = Field(default_factory=list, max_length=100)
    ended_on: date | None = None


class VisitIn(Input):
    start: datetime
    end: datetime
    worker_role: WorkerRole
    mode: VisitMode
    caregiver_present: bool | None = None


class MinimumsCheck(Input):
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    period: str = Field(pattern=PERIOD, description="YYYY-MM")
    bed: BedIn
    visits: list[VisitIn] = Field(default_factory=list, max_length=2000)


class ViolationRead(Output):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    rule: str
    day: date | None = Field(default=None, alias="date")
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    visit_index: int | None = None


class MinimumsCheckRead(Output):
    applies: bool
    compliant: bool
    service_seconds: int
    required_seconds: int
    violations: list[ViolationRead]


class BedMinimumsRead(MinimumsCheckRead):
    bed_id: str
    period: str
    as_of: date | None
    breaches_raised: int
