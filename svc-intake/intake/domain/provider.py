"""Providers (服务机构): licensed organisations that run family beds in a service area.

001 §四(二) names who may run family beds (licensed elderly-care providers); 001 §四(三)4 and 002
§四 / §六(三) require service prices to be published and filed. A provider is usable for a bed only
while active and only where its service area reaches (the 15-minute radius, 001 §四(三)2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from intake.domain.regions import region_within


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by civil affairs: no new applications, approvals or contracts


@dataclass(frozen=True)
class FiledPackage:
    """A service package with its monthly price as filed (备案) with civil affairs."""

    code: str
    monthly_fee_fen: int
    filing_ref: str


def provider_problems(*, status: str, service_area: Sequence[str], region_code: str) -> list[str]:
    """Why this provider cannot take an elder living in `region_code` (empty: it can)."""
    problems = []
    if status != ProviderStatus.ACTIVE:
        problems.append("the provider is suspended")
    if not any(region_within(region_code, area) for area in service_area):
        problems.append(f"the provider does not serve region {region_code}")
    return problems


def fee_problem(fee_fen: int, packages: Sequence[FiledPackage], code: str | None) -> str | None:
    """A contract's base fee must be a filed package price (when the provider filed any)."""
    if code is not None:
        chosen = [p for p in packages if p.code == code]
        if not chosen:
            return f"package {code!r} is not filed by this provider"
        if chosen[0].monthly_fee_fen != fee_fen:
            return f"package {code!r} is filed at {chosen[0].monthly_fee_fen} fen a month"
        return None
    if packages and fee_fen not in {p.monthly_fee_fen for p in packages}:
        filed = ", ".join(f"{p.code}={p.monthly_fee_fen}" for p in packages)
        return f"not a filed package price of this provider (filed: {filed})"
    return None
