"""Typed, frozen shape of a service-records profile and of the service catalogues.

Every rule carries a citation (seed, section, verbatim quote) and a `basis`: `explicit` when the
seed states it, `interpretation` when the seed is silent and the platform reads it
(shared/domain.md, "Readings decided where the seeds are silent or ambiguous").
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis, Citation
from service_records.domain.minimums import MinimumsProfile
from service_records.domain.vocabulary import ServiceCategory, WorkerRole

Delivery = Literal["platform", "on_site", "third_party"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CatalogueGroup(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str


class CatalogueItemFile(_Frozen):
    """One item as written in a catalogue file (its seed and section come from the file)."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    number: int = Field(ge=1, description="the item's number within its group in the seed")
    name: str = Field(min_length=1, description="verbatim item name from the seed")
    group: str
    category: ServiceCategory
    category_basis: Basis = "interpretation"
    roles_allowed: tuple[WorkerRole, ...] = Field(min_length=1)
    roles_basis: Basis = "interpretation"
    roles_quote: str | None = None
    delivery: Delivery | None = None
    standard_time: str | None = None


class CatalogueFile(_Frozen):
    id: str
    seed: str = Field(pattern=r"^\d{3}$")
    section: str
    title: str
    groups: tuple[CatalogueGroup, ...] = Field(min_length=1)
    items: tuple[CatalogueItemFile, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> CatalogueFile:
        groups = {g.code for g in self.groups}
        codes = [i.code for i in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"{self.id}: duplicate item codes")
        stray = {i.group for i in self.items} - groups
        if stray:
            raise ValueError(f"{self.id}: items in undeclared groups {sorted(stray)}")
        return self


class CatalogueItem(_Frozen):
    """One service item a visit may record, with where it comes from."""

    code: str
    name: str
    group: str
    group_name: str
    category: ServiceCategory
    roles_allowed: tuple[WorkerRole, ...]
    seed: str
    section: str
    basis: Basis = Field(description="basis of the category mapping")
    roles_basis: Basis
    delivery: Delivery | None = None
    standard_time: str | None = None


class Catalogue(_Frozen):
    id: str
    seed: str
    section: str
    title: str
    basis: Basis = Field(description="does the jurisdiction's own text give this catalogue?")
    note: str | None = None
    items: tuple[CatalogueItem, ...]

    def item(self, code: str) -> CatalogueItem | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items)


class CatalogueRef(_Frozen):
    id: str
    basis: Basis
    citation: Citation
    note: str | None = None


class MinimumsSpec(_Frozen):
    """001 §四(三)3 as data; `applies: false` for a jurisdiction without minimums."""

    applies: bool
    daily_onsite_visits: int | None = Field(default=None, ge=1)
    monthly_onsite_hours: int | None = Field(default=None, ge=1)
    medic_period_days: int | None = Field(default=None, ge=1)
    citation: Citation | None = None
    reading_basis: Basis | None = None
    reading: str | None = Field(default=None, description="how the platform reads the numbers")
    note: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> MinimumsSpec:
        numbers = (self.daily_onsite_visits, self.monthly_onsite_hours, self.medic_period_days)
        if self.applies and (any(n is None for n in numbers) or self.citation is None):
            raise ValueError("minimums that apply need their three numbers and a citation")
        if not self.applies and any(n is not None for n in numbers):
            raise ValueError("minimums that do not apply carry no numbers")
        return self

    def to_domain(self) -> MinimumsProfile | None:
        if not self.applies:
            return None
        assert self.daily_onsite_visits is not None
        assert self.monthly_onsite_hours is not None
        assert self.medic_period_days is not None
        return MinimumsProfile(
            daily_onsite_visits=self.daily_onsite_visits,
            monthly_onsite_seconds=self.monthly_onsite_hours * 3600,
            medic_period_days=self.medic_period_days,
        )


class CaregiverPresentSpec(_Frozen):
    required: bool
    citation: Citation | None = None
    basis: Basis | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _cited(self) -> CaregiverPresentSpec:
        if self.required and self.citation is None:
            raise ValueError("a required caregiver rule needs its citation")
        return self


class ProfileFile(_Frozen):
    """One `<code>.yaml`."""

    jurisdiction: str = Field(pattern=r"^\d{6}$")
    name: str
    name_en: str
    seeds: dict[str, str]
    catalogue: CatalogueRef
    minimums: MinimumsSpec
    caregiver_present: CaregiverPresentSpec

    def citations(self) -> list[Citation]:
        found = [self.catalogue.citation]
        if self.minimums.citation is not None:
            found.append(self.minimums.citation)
        if self.caregiver_present.citation is not None:
            found.append(self.caregiver_present.citation)
        return found

    @model_validator(mode="after")
    def _seeds_declared(self) -> ProfileFile:
        for citation in self.citations():
            if citation.seed not in self.seeds:
                raise ValueError(
                    f"{self.jurisdiction} names a seed missing from seeds: {citation.seed}"
                )
        return self


class RecordsProfile(_Frozen):
    """What service records needs of a jurisdiction: the catalogue, minimums, caregiver rule."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    jurisdiction: str
    name: str
    minimums: MinimumsProfile | None
    caregiver_present_required: bool
    catalogue: Catalogue
    source: ProfileFile

    def citations(self) -> list[Citation]:
        return self.source.citations()
