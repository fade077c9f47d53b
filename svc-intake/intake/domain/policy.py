"""Typed, frozen shape of a jurisdiction policy profile (one YAML file per GB/T 2260 code).

Every rule carries a citation to the seed text it comes from, and a `basis`: `explicit` when the
seed states the rule, `interpretation` when the seed is silent and the profile fills the gap
(the note says how), so a reviewer can tell law from our reading of it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis, Citation
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.bed_change_policy import BedChangeRules
from intake.domain.profile_sections import (
    BedTarget,
    CarePlanRules,
    ConsentRequirement,
    PilotStreets,
    section_citations,
)
from intake.domain.regions import region_within

BooleanFact = Literal[
    "hukou_local", "resides_locally", "in_pilot_area", "has_stable_caregiver", "is_renter"
]
ReviewLevel = Literal["street", "district"]
AssessmentScale = Literal["ability_4", "care_needs_0_6"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Frozen):
    """One node of a rule's condition tree: exactly one field is set."""

    all_of: tuple[Condition, ...] | None = None
    any_of: tuple[Condition, ...] | None = None
    age_at_least: int | None = Field(default=None, ge=0, le=150)
    ability_in: tuple[AbilityLevel, ...] | None = None
    care_needs_at_least: int | None = Field(default=None, ge=0, le=6)
    fact: BooleanFact | None = None
    fact_not: BooleanFact | None = None
    economic_status_in: tuple[EconomicStatus, ...] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        chosen = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(f"a condition sets exactly one field, got {chosen or 'none'}")
        if (self.all_of is not None and not self.all_of) or (
            self.any_of is not None and not self.any_of
        ):
            raise ValueError("all_of / any_of need at least one condition")
        return self


class Rule(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    citation: Citation
    basis: Basis
    note: str | None = None
    when: Condition


class Review(_Frozen):
    """Officer review levels, in order (street first, then district where the profile says)."""

    levels: tuple[ReviewLevel, ...] = Field(min_length=1)
    citation: Citation
    basis: Basis
    note: str | None = None


class Contract(_Frozen):
    min_first_contract_months: int | None = Field(default=None, ge=1)
    min_months_citation: Citation | None = None
    base_package_min_fen: int | None = Field(default=None, ge=0)
    base_package_max_fen: int | None = Field(default=None, ge=0)
    base_package_citation: Citation | None = None
    pricing_citation: Citation
    no_bed_fee_citation: Citation

    @model_validator(mode="after")
    def _consistent(self) -> Contract:
        if (self.min_first_contract_months is None) != (self.min_months_citation is None):
            raise ValueError("min_first_contract_months and its citation go together")
        bounds = (self.base_package_min_fen, self.base_package_max_fen)
        if any(b is not None for b in bounds) and self.base_package_citation is None:
            raise ValueError("base package bounds need a citation")
        low, high = bounds
        if low is not None and high is not None and low > high:
            raise ValueError("base_package_min_fen exceeds base_package_max_fen")
        return self


class DeviceGroup(_Frozen):
    """At least one device of these types must be installed and confirmed before establishing."""

    id: str
    any_of: tuple[str, ...] = Field(min_length=1, description="iot DeviceType values")
    citation: Citation
    basis: Basis


class Lifecycle(_Frozen):
    acceptance_min_service_months: int = Field(ge=0)
    acceptance_citation: Citation
    acceptance_basis: Basis
    update_working_days: int = Field(ge=1)
    update_citation: Citation
    update_basis: Basis
    note: str | None = None


class Entitlement(_Frozen):
    """A policy or subsidy the elder (or the provider, for the elder's bed) may be entitled to."""

    id: str
    title: str
    beneficiary: Literal["elder", "provider", "caregiver"]
    cap_fen: int | None = Field(default=None, ge=0)
    per: Literal["once", "month"] | None = None
    detail: str
    when: Condition | None = None
    citation: Citation
    basis: Basis


class PolicyProfile(_Frozen):
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    name: str
    name_en: str
    level: Literal["city", "district", "county"]
    parent: str | None = Field(default=None, pattern=r"^\d{6}$")
    seeds: dict[str, str] = Field(min_length=1, description="seed number -> seed file name")
    assessment_scale: AssessmentScale
    assessment_citation: Citation
    pilot_areas: tuple[str, ...] = ()
    eligibility: tuple[Rule, ...] = Field(min_length=1)
    priority: tuple[Rule, ...] = ()
    review: Review
    contract: Contract
    required_devices: tuple[DeviceGroup, ...] = ()
    lifecycle: Lifecycle
    bed_changes: BedChangeRules
    entitlements: tuple[Entitlement, ...] = ()
    catalogue_sources: tuple[str, ...] = Field(min_length=1)
    # issue 11: pilot streets by code, consents, the care-plan catalogue, bed targets
    pilot_streets: PilotStreets | None = None
    consents: tuple[ConsentRequirement, ...] = ()
    care_plan: CarePlanRules
    bed_targets: tuple[BedTarget, ...] = ()

    @model_validator(mode="after")
    def _ids_unique_and_citations_known(self) -> PolicyProfile:
        ids = [r.id for r in (*self.eligibility, *self.priority)]
        if len(ids) != len(set(ids)):
            raise ValueError(f"rule ids must be unique, got {ids}")
        self._check_sections()
        for citation in self.citations():
            if citation.seed not in self.seeds:
                raise ValueError(f"citation {citation.text} names a seed missing from `seeds`")
        return self

    def citations(self) -> list[Citation]:
        """Every citation in the profile (for consistency checks against the seeds)."""
        found = [self.assessment_citation, self.review.citation]
        found += [r.citation for r in (*self.eligibility, *self.priority)]
        found += [g.citation for g in self.required_devices]
        found += [e.citation for e in self.entitlements]
        c = self.contract
        found += [x for x in (c.min_months_citation, c.base_package_citation) if x is not None]
        found += [c.pricing_citation, c.no_bed_fee_citation]
        found += [self.lifecycle.acceptance_citation, self.lifecycle.update_citation]
        found += self.bed_changes.citations()
        found += section_citations(
            self.pilot_streets, self.consents, self.care_plan, self.bed_targets
        )
        return found

    def consent_for(self, scope: str) -> ConsentRequirement | None:
        """The jurisdiction's requirement of a consent scope, if it has one."""
        return next((c for c in self.consents if c.scope == scope), None)

    def _check_sections(self) -> None:
        scopes = [c.scope for c in self.consents]
        if len(scopes) != len(set(scopes)):
            raise ValueError(f"consent scopes must be unique, got {scopes}")
        targets = [t.id for t in self.bed_targets]
        if len(targets) != len(set(targets)):
            raise ValueError(f"bed target ids must be unique, got {targets}")
        codes = [s.code for s in self.pilot_streets.streets] if self.pilot_streets else []
        for code in [*codes, *(t.region_code for t in self.bed_targets)]:
            if not region_within(code, self.jurisdiction):
                raise ValueError(f"region {code} lies outside {self.jurisdiction}")


class CatalogueItem(_Frozen):
    """An aging-friendly modification or a smart device from the seeds' annex catalogues."""

    id: str
    name: str
    kind: Literal["modification", "smart_device"]
    device_type: str | None = Field(default=None, description="iot DeviceType, smart devices")
    sources: tuple[str, ...] = Field(min_length=1, description="catalogue source keys")
    citations: tuple[Citation, ...] = Field(min_length=1)
    recommend_for: tuple[AbilityLevel, ...] = Field(
        description="ability levels for which the guidance list recommends the item"
    )
    why: str


class Catalogue(_Frozen):
    sources: dict[str, str] = Field(description="source key -> human description")
    items: tuple[CatalogueItem, ...]

    @model_validator(mode="after")
    def _sources_known(self) -> Catalogue:
        for item in self.items:
            unknown = set(item.sources) - set(self.sources)
            if unknown:
                raise ValueError(f"item {item.id} names unknown sources {sorted(unknown)}")
        return self
