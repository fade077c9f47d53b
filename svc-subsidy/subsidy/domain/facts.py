"""What the calculators know about one bed in one month: the calculator's whole input.

The settlement run builds these from the stored entitlement facts; the preview route from its
body. A fact a rule needs that is `None` makes that rule skip with a note, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import NamedTuple

from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from subsidy.domain.periods import Period, day_before, days_between


@dataclass(frozen=True)
class Suspension:
    """Days the bed was suspended: from `start` up to the day before `resumed_on`."""

    start: date
    resumed_on: date | None = None

    def days_in(self, first: date, last: date) -> int:
        end = last if self.resumed_on is None else min(last, day_before(self.resumed_on))
        return days_between(max(first, self.start), end)


@dataclass(frozen=True)
class BedFacts:
    birth_date: date | None = None
    ability_level: AbilityLevel | None = None
    economic_status: EconomicStatus | None = None
    package_fee_fen: int | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    established_on: date | None = None
    accepted_on: date | None = None
    terminated_on: date | None = None  # the first day without service
    construction_investment_fen: int | None = None
    construction_paid_fen: int = 0  # paid for this elder before the period, any provider
    modification_cost_fen: int | None = None
    modification_consent: bool | None = None  # None: no consent recorded
    voucher_fen: int | None = None
    services_delivered_fen: int | None = None
    suspensions: tuple[Suspension, ...] = ()

    def last_service_day(self) -> date | None:
        """The last day the bed serves under its contract; None without a contract end."""
        if self.contract_end is None:
            return None
        if self.terminated_on is None:
            return self.contract_end
        return min(self.contract_end, day_before(self.terminated_on))

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


BED_FACT_FIELDS = tuple(f.name for f in fields(BedFacts))


def bed_facts_of(values: Sequence[object]) -> BedFacts:
    """`BedFacts(*values)` (every field, in order) without the frozen dataclass' `__init__`
    (one `object.__setattr__` per field, 16 a bed): the settlement run builds one per bed of a
    county month. The same object: equal, same hash (`tests/domain/test_calculators.py`)."""
    facts = object.__new__(BedFacts)
    facts.__dict__.update(zip(BED_FACT_FIELDS, values, strict=True))
    return facts


class ActiveDays(NamedTuple):
    """The bed's days in service within a period, and the range they were counted over (a
    plain tuple: one per bed and rule of a county month)."""

    days: int
    first: date
    last: date
    suspended: int

    @property
    def empty(self) -> bool:
        return self.days <= 0


def active_days(
    bed: BedFacts, period: Period, *, from_day: date | None = None, until: date | None = None
) -> ActiveDays | None:
    """Days in service in the period: established, within the contract, before termination,
    not suspended, within [from_day, until] when given; None when a needed date is missing."""
    if bed.established_on is None or bed.contract_start is None:
        return None
    last_service = bed.last_service_day()
    if last_service is None:
        return None
    first = max(bed.established_on, bed.contract_start, period.first_day)
    if from_day is not None:
        first = max(first, from_day)
    last = min(last_service, period.last_day)
    if until is not None:
        last = min(last, until)
    span = days_between(first, last)
    suspended = sum(s.days_in(first, last) for s in bed.suspensions) if span else 0
    return ActiveDays(days=max(0, span - suspended), first=first, last=last, suspended=suspended)
