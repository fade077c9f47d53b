"""Evaluate a policy condition tree against an elder's facts, in three-valued logic.

A leaf whose fact is unknown yields `None` (unknown) and names the missing fact; `all_of` and
`any_of` combine as Kleene logic, so an 85-year-old passes Xuancheng's "60+ and moderate, or 80+"
even without an assessment, while a 70-year-old without one is unknown, not rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.policy import Condition

AGE_FACT = "birth_date (or id_number)"


@dataclass(frozen=True)
class Facts:
    """What is known about an elder; `None` means not known (never "false")."""

    birth_date: date | None = None
    hukou_local: bool | None = None
    resides_locally: bool | None = None
    in_pilot_area: bool | None = None
    ability_level: AbilityLevel | None = None
    care_needs_level: int | None = None
    has_stable_caregiver: bool | None = None
    is_renter: bool | None = None
    economic_status: EconomicStatus | None = None


@dataclass(frozen=True)
class Verdict:
    value: bool | None
    met: tuple[str, ...] = ()
    unmet: tuple[str, ...] = ()
    missing: tuple[str, ...] = field(default=())


def evaluate(condition: Condition, facts: Facts, age: int | None) -> Verdict:
    """Evaluate one condition node; `age` is the age on the decision date, if known."""
    if condition.all_of is not None:
        return _all([evaluate(c, facts, age) for c in condition.all_of])
    if condition.any_of is not None:
        return _any([evaluate(c, facts, age) for c in condition.any_of])
    return _leaf(condition, facts, age)


def _all(parts: list[Verdict]) -> Verdict:
    failed = [p for p in parts if p.value is False]
    unknown = [p for p in parts if p.value is None]
    value = False if failed else (None if unknown else True)
    return Verdict(
        value=value,
        met=_join(p.met for p in parts),
        unmet=_join(p.unmet for p in failed),
        missing=_join(p.missing for p in unknown),
    )


def _any(parts: list[Verdict]) -> Verdict:
    passed = [p for p in parts if p.value is True]
    if passed:
        return Verdict(value=True, met=passed[0].met)
    unknown = [p for p in parts if p.value is None]
    branches = tuple(" and ".join(p.unmet) for p in parts if p.value is False)
    unmet = (" or ".join(f"({b})" for b in branches),) if branches else ()
    return Verdict(
        value=None if unknown else False,
        unmet=unmet,
        missing=_join(p.missing for p in unknown),
    )


def _join(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        for item in group:
            if item not in out:
                out.append(item)
    return tuple(out)


def _leaf(c: Condition, facts: Facts, age: int | None) -> Verdict:
    if c.age_at_least is not None:
        least_age = c.age_at_least
        return _check(
            age,
            AGE_FACT,
            lambda v: v >= least_age,
            f"age {{}} ≥ {least_age}",
            f"age {{}} < {least_age}",
        )
    if c.ability_in is not None:
        allowed = {level.value for level in c.ability_in}
        text = "/".join(sorted(allowed))
        return _check(
            facts.ability_level,
            "ability_level",
            lambda v: v in allowed,
            f"ability_level {{}} in {text}",
            f"ability_level {{}} not in {text}",
        )
    if c.care_needs_at_least is not None:
        least = c.care_needs_at_least
        return _check(
            facts.care_needs_level,
            "care_needs_level",
            lambda v: v >= least,
            f"care_needs_level {{}} ≥ {least}",
            f"care_needs_level {{}} < {least}",
        )
    if c.economic_status_in is not None:
        statuses = {s.value for s in c.economic_status_in}
        text = "/".join(sorted(statuses))
        return _check(
            facts.economic_status,
            "economic_status",
            lambda v: v in statuses,
            f"economic_status {{}} in {text}",
            f"economic_status {{}} not in {text}",
        )
    if c.fact is not None:
        name = c.fact
        return _check(
            getattr(facts, name), name, lambda v: v is True, f"{name} is {{}}", f"{name} is {{}}"
        )
    if c.fact_not is not None:
        name = c.fact_not
        return _check(
            getattr(facts, name), name, lambda v: v is False, f"{name} is {{}}", f"{name} is {{}}"
        )
    raise AssertionError("a validated condition always sets one field")


def _check(value: Any, fact: str, test: Callable[[Any], bool], met: str, unmet: str) -> Verdict:
    if value is None:
        return Verdict(value=None, missing=(fact,))
    shown = _show(value)
    if test(value):
        return Verdict(value=True, met=(met.format(shown),))
    return Verdict(value=False, unmet=(unmet.format(shown),))


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, AbilityLevel | EconomicStatus):
        return value.value
    return str(value)
