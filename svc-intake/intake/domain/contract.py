"""Contract rules: first-contract length, base-package bounds, no bed fee (fen throughout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from intake.domain.dates import add_months
from intake.domain.errors import ContractViolation
from intake.domain.policy import PolicyProfile


@dataclass(frozen=True)
class PersonalItem:
    """A personal (个性) package item, priced at market rate (002 §三(二)2)."""

    name: str
    monthly_fee_fen: int


@dataclass(frozen=True)
class ContractTerms:
    start: date
    end: date  # last day of service, inclusive
    base_package_fee_fen: int  # monthly
    personal_items: tuple[PersonalItem, ...] = field(default=())
    bed_fee_fen: int = 0

    def covers_months(self, months: int) -> bool:
        """True when the service period lasts at least `months` calendar months."""
        return self.end + timedelta(days=1) >= add_months(self.start, months)


def check_contract(terms: ContractTerms, profile: PolicyProfile, *, is_first: bool) -> None:
    """Raise `ContractViolation` naming every broken rule and the field it concerns."""
    rules = profile.contract
    problems: list[tuple[str, str]] = []
    if terms.end < terms.start:
        problems.append(("end", "the contract ends before it starts"))
    months = rules.min_first_contract_months
    cited = rules.min_months_citation
    if is_first and months is not None and cited and not terms.covers_months(months):
        problems.append(("end", f"a first contract lasts at least {months} months ({cited.text})"))
    problems += _base_package_problems(terms.base_package_fee_fen, profile)
    if terms.bed_fee_fen != 0:
        cite = rules.no_bed_fee_citation.text
        problems.append(("bed_fee_fen", f"no bed fee may be charged ({cite})"))
    for index, item in enumerate(terms.personal_items):
        if item.monthly_fee_fen < 0:
            problems.append((f"personal_items.{index}.monthly_fee_fen", "must not be negative"))
    if problems:
        raise ContractViolation(problems)


def _base_package_problems(fee_fen: int, profile: PolicyProfile) -> list[tuple[str, str]]:
    rules = profile.contract
    cite = rules.base_package_citation.text if rules.base_package_citation else ""
    if fee_fen < 0:
        return [("base_package_fee_fen", "must not be negative")]
    low, high = rules.base_package_min_fen, rules.base_package_max_fen
    if low is not None and fee_fen < low:
        return [("base_package_fee_fen", f"at least {low} fen a month ({cite})")]
    if high is not None and fee_fen > high:
        return [("base_package_fee_fen", f"at most {high} fen a month ({cite})")]
    return []
