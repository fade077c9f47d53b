"""Typed, frozen shape of a jurisdiction's subsidy profile (one YAML file per GB/T 2260 code).

Each rule carries its citations (seed, section, verbatim quote), a `basis` (`explicit` when the
seed states it, `interpretation` with a note where the seed is silent), validity dates and the
funder level that pays it. Amounts the seeds do not give are configuration: `None` means "not
configured" and the calculator skips the rule with a note instead of guessing.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chassis.policy import Basis, Citation
from homebed_schemas.events.intake import AbilityLevel, EconomicStatus

FunderLevel = Literal["city", "district"]  # district = 区/县 (a county such as Pingyang too)
LineKind = Literal[
    "construction",
    "low_income_service",
    "operating",
    "modification",
    "voucher_settlement",
    "platform",  # provider-level (002 §八3)
    "scale_award",  # provider-level (002 §八2)
]
LINE_KINDS: tuple[LineKind, ...] = (
    "construction",
    "low_income_service",
    "operating",
    "modification",
    "voucher_settlement",
    "platform",
    "scale_award",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Rule(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    citations: tuple[Citation, ...] = Field(min_length=1)
    basis: Basis
    note: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    funder: FunderLevel

    @model_validator(mode="after")
    def _interpretations_explain_themselves(self) -> _Rule:
        if self.basis == "interpretation" and not self.note:
            raise ValueError(f"rule {self.id}: basis interpretation needs a note")
        return self

    @property
    def seed(self) -> str:
        """`001 §四(七)1`: the first citation's short form, shown on every line."""
        return self.citations[0].text

    def valid_in(self, first: date, last: date) -> bool:
        """True when the rule's validity overlaps [first, last]."""
        starts_ok = self.valid_from is None or self.valid_from <= last
        ends_ok = self.valid_to is None or self.valid_to >= first
        return starts_ok and ends_ok


class Tranche(_Frozen):
    after_months: int = Field(ge=0, description="months of service from the established date")
    percent: int = Field(ge=1, le=100)


class ConstructionRule(_Rule):
    kind: Literal["construction"]
    cap_fen: int = Field(ge=0)
    tranches: tuple[Tranche, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _tranches_add_up(self) -> ConstructionRule:
        if sum(t.percent for t in self.tranches) != 100:
            raise ValueError(f"rule {self.id}: tranche percents must add up to 100")
        months = [t.after_months for t in self.tranches]
        if months != sorted(set(months)):
            raise ValueError(f"rule {self.id}: tranches must come in increasing months")
        return self


class LowIncomeServiceRule(_Rule):
    kind: Literal["low_income_service"]
    cap_fen: int = Field(ge=0)
    min_age: int = Field(ge=0, le=150)
    ability_in: tuple[AbilityLevel, ...] = Field(min_length=1)
    economic_status_in: tuple[EconomicStatus, ...] = Field(min_length=1)


class OperatingRule(_Rule):
    kind: Literal["operating"]
    percent_of_package: int | None = Field(default=None, ge=1, le=100)
    monthly_rate_fen: int | None = Field(default=None, ge=0, description="configuration")

    @model_validator(mode="after")
    def _one_basis(self) -> OperatingRule:
        if self.percent_of_package is not None and self.monthly_rate_fen is not None:
            raise ValueError(f"rule {self.id}: a percent of the package or a rate, not both")
        return self


class ModificationRule(_Rule):
    kind: Literal["modification"]
    cap_fen: int | None = Field(default=None, ge=0, description="None: not configured")
    requires_consent: bool
    district_match_ratio: int = Field(default=0, ge=0, le=1, description="1 = district 1:1")


class VoucherRule(_Rule):
    kind: Literal["voucher_settlement"]
    monthly_voucher_fen: int | None = Field(
        default=None, ge=0, description="configuration; a bed's own voucher amount wins"
    )
    hourly_value_fen: int | None = Field(
        default=None,
        ge=0,
        description="configuration: values a verified visit that carries no value of its own",
    )


class ScaleAwardRule(_Rule):
    kind: Literal["scale_award"]
    elders_per_tier: int = Field(ge=1)
    window_months: int = Field(ge=1)
    award_fen: int = Field(ge=0)
    district_match_ratio: int = Field(ge=0, le=1)


class PlatformRule(_Rule):
    kind: Literal["platform"]
    amount_fen: int = Field(ge=0)


class ClawbackRule(_Rule):
    kind: Literal["clawback"]
    suspends_further_payments: bool


Rule = Annotated[
    ConstructionRule
    | LowIncomeServiceRule
    | OperatingRule
    | ModificationRule
    | VoucherRule
    | ScaleAwardRule
    | PlatformRule
    | ClawbackRule,
    Field(discriminator="kind"),
]


class PilotTerm(_Frozen):
    """001 试点期限: contracts signed in the pilot keep the subsidy until they end, ≤ one year."""

    ends_on: date
    signed_until: date = Field(description="contracts signed on or before this day are kept")
    kept_until: date = Field(description="the last day any line of this profile may cover")
    citations: tuple[Citation, ...] = Field(min_length=1)
    basis: Basis
    note: str | None = None


class SubsidyProfile(_Frozen):
    jurisdiction: str = Field(pattern=r"^\d{6}$")
    name: str
    name_en: str
    version: str = Field(min_length=1, description="pinned on every settlement run")
    seeds: dict[str, str]
    rounding: Literal["half_up"]
    rounding_note: str
    pilot: PilotTerm | None = None
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids_and_kinds(self) -> SubsidyProfile:
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"{self.jurisdiction}: duplicate rule ids")
        kinds = [r.kind for r in self.rules]
        if len(kinds) != len(set(kinds)):
            raise ValueError(f"{self.jurisdiction}: one rule per kind")
        return self

    def rule_of(self, kind: str) -> Rule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    def citations(self) -> list[Citation]:
        found = [c for r in self.rules for c in r.citations]
        if self.pilot is not None:
            found.extend(self.pilot.citations)
        return found
