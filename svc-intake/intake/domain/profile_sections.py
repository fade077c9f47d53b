"""Sections of a policy profile for pilot streets, consents, the care plan and bed targets.

Each carries its citation (seed, section, verbatim quote) and a `basis` like every rule of the
profile (`intake.domain.policy`), so a reviewer tells the seed's words from the platform's
reading. Region codes the seeds do not print (street and county codes) are marked with their
own basis and a note saying where they come from.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis, Citation
from homebed_schemas.events.bed_workflows import ConsentScope
from intake.domain.care_plan import WorkerRole


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PilotStreet(_Frozen):
    code: str = Field(pattern=r"^\d{9}$", description="county code + 3-digit street code")
    name: str


class PilotStreets(_Frozen):
    """The pilot streets by code: an address with a street code settles `in_pilot_area`."""

    streets: tuple[PilotStreet, ...] = Field(min_length=1)
    citation: Citation
    basis: Basis
    codes_basis: Basis = Field(description="whether the seed itself gives the codes")
    note: str | None = None

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.streets)

    def described(self) -> str:
        names = ", ".join(f"{s.name} {s.code}" for s in self.streets)
        return f"{names} ({self.citation.text})"


class ConsentRequirement(_Frozen):
    """A consent the jurisdiction requires before the step its scope guards."""

    scope: ConsentScope
    citation: Citation
    basis: Basis
    note: str | None = None


class Minimum(_Frozen):
    value: int = Field(ge=1)
    citation: Citation


class CareMinimums(_Frozen):
    """Service minimums a care plan must be able to meet (001 §四(三)3)."""

    daily_onsite_visits: Minimum
    monthly_onsite_hours: Minimum
    medic_every_days: Minimum
    medic_roles: tuple[WorkerRole, ...] = Field(min_length=1)
    basis: Basis
    reading: str = Field(description="how a plan's frequencies are judged against the numbers")
    reading_basis: Basis


class CarePlanRules(_Frozen):
    catalogue: str = Field(description="id of a file in policies/care_catalogues")
    citation: Citation
    basis: Basis
    note: str | None = None
    minimums: CareMinimums | None = None


class BedTarget(_Frozen):
    """A number of beds to build in a region within a period (001 §三, 002 §二, 003 §四.5)."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    region_code: str = Field(pattern=r"^\d{6}(\d{3}){0,2}$")
    region_name: str
    min_beds: int | None = Field(
        default=None, ge=1, description="None: the seed sets a pilot period but no number"
    )
    counted_when: Literal["established", "accepted"] = "established"
    optional: bool = Field(
        default=False, description="the region decides whether it pilots at all (001 §三)"
    )
    start: date
    end: date
    citation: Citation
    basis: Basis
    period_citation: Citation | None = None
    period_basis: Basis | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> BedTarget:
        if self.end < self.start:
            raise ValueError(f"target {self.id} ends before it starts")
        if (self.period_citation is None) != (self.period_basis is None):
            raise ValueError(f"target {self.id}: period_citation and period_basis go together")
        return self


def section_citations(
    pilot_streets: PilotStreets | None,
    consents: tuple[ConsentRequirement, ...],
    care_plan: CarePlanRules,
    bed_targets: tuple[BedTarget, ...],
) -> list[Citation]:
    """Every citation of these sections (the profile checks them against its seeds)."""
    found = [pilot_streets.citation] if pilot_streets else []
    found += [c.citation for c in consents]
    found.append(care_plan.citation)
    if care_plan.minimums is not None:
        m = care_plan.minimums
        found += [m.daily_onsite_visits.citation, m.monthly_onsite_hours.citation]
        found.append(m.medic_every_days.citation)
    for target in bed_targets:
        found.append(target.citation)
        if target.period_citation is not None:
            found.append(target.period_citation)
    return found
