"""The bed-setup guidance list (建床指导清单, 000 §三(一)).

Built from the elder's identity and assessment plus the profile: the policies and subsidies the
elder may claim, the modifications and devices recommended from the profile's catalogues (001
Annex 1/2, 000 Annex 2, …), the devices the profile requires before establishing, and the base
package range. Recommendations are the platform's heuristic (`basis="heuristic"`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from homebed_schemas.events.intake import AbilityLevel
from intake.domain.conditions import Facts, evaluate
from intake.domain.dates import age_on
from intake.domain.policy import Catalogue, CatalogueItem, Entitlement, PolicyProfile


@dataclass(frozen=True)
class EntitledPolicy:
    id: str
    title: str
    beneficiary: str
    cap_fen: int | None
    per: str | None
    detail: str
    citation: str
    basis: str
    applies: bool | None  # None: a fact the condition needs is unknown
    missing: tuple[str, ...]


@dataclass(frozen=True)
class GuidanceItem:
    id: str
    name: str
    kind: str
    device_type: str | None
    citations: tuple[str, ...]
    why: str
    required: bool  # a device group of the profile needs it (or one of its alternatives)


@dataclass(frozen=True)
class RequiredDeviceGroup:
    id: str
    any_of: tuple[str, ...]
    citation: str


@dataclass(frozen=True)
class GuidanceList:
    jurisdiction: str
    as_of: date
    ability_level: AbilityLevel | None
    entitlements: tuple[EntitledPolicy, ...]
    modifications: tuple[GuidanceItem, ...]
    devices: tuple[GuidanceItem, ...]
    required_devices: tuple[RequiredDeviceGroup, ...]
    base_package_min_fen: int | None
    base_package_max_fen: int | None
    base_package_citation: str | None
    pricing_citation: str
    min_first_contract_months: int | None
    basis: str = "heuristic"


def care_needs_to_ability(level: int) -> AbilityLevel:
    """Heuristic bridge from Shanghai care-needs levels (0–6) to the 4-level ability scale."""
    if level <= 0:
        return AbilityLevel.INTACT
    if level <= 2:
        return AbilityLevel.MILD
    if level <= 4:
        return AbilityLevel.MODERATE
    return AbilityLevel.SEVERE


def build_guidance(
    profile: PolicyProfile, catalogue: Catalogue, facts: Facts, *, as_of: date
) -> GuidanceList:
    ability = facts.ability_level
    if ability is None and facts.care_needs_level is not None:
        ability = care_needs_to_ability(facts.care_needs_level)
    age = (
        age_on(facts.birth_date, as_of) if facts.birth_date and facts.birth_date <= as_of else None
    )
    required_types = {t for group in profile.required_devices for t in group.any_of}
    picked = [
        _item(item, required_types)
        for item in catalogue.items
        if set(item.sources) & set(profile.catalogue_sources)
        and (
            (ability is not None and ability in item.recommend_for)
            or item.device_type in required_types
        )
    ]
    contract = profile.contract
    return GuidanceList(
        jurisdiction=profile.jurisdiction,
        as_of=as_of,
        ability_level=ability,
        entitlements=tuple(_entitlement(e, facts, age) for e in profile.entitlements),
        modifications=tuple(i for i in picked if i.kind == "modification"),
        devices=tuple(i for i in picked if i.kind == "smart_device"),
        required_devices=tuple(
            RequiredDeviceGroup(id=g.id, any_of=g.any_of, citation=g.citation.text)
            for g in profile.required_devices
        ),
        base_package_min_fen=contract.base_package_min_fen,
        base_package_max_fen=contract.base_package_max_fen,
        base_package_citation=(
            contract.base_package_citation.text if contract.base_package_citation else None
        ),
        pricing_citation=contract.pricing_citation.text,
        min_first_contract_months=contract.min_first_contract_months,
    )


def _item(item: CatalogueItem, required_types: set[str]) -> GuidanceItem:
    return GuidanceItem(
        id=item.id,
        name=item.name,
        kind=item.kind,
        device_type=item.device_type,
        citations=tuple(c.text for c in item.citations),
        why=item.why,
        required=item.device_type in required_types,
    )


def _entitlement(entitlement: Entitlement, facts: Facts, age: int | None) -> EntitledPolicy:
    if entitlement.when is None:
        applies: bool | None = True
        missing: tuple[str, ...] = ()
    else:
        verdict = evaluate(entitlement.when, facts, age)
        applies, missing = verdict.value, verdict.missing
    return EntitledPolicy(
        id=entitlement.id,
        title=entitlement.title,
        beneficiary=entitlement.beneficiary,
        cap_fen=entitlement.cap_fen,
        per=entitlement.per,
        detail=entitlement.detail,
        citation=entitlement.citation.text,
        basis=entitlement.basis,
        applies=applies,
        missing=missing,
    )
