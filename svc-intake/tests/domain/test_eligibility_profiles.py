"""Eligibility per jurisdiction profile: at least six cases each, with the age boundaries
(60th and 80th birthday on as_of, the day before) and leap-day birthdays."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.conditions import Facts
from intake.domain.eligibility import evaluate_eligibility
from intake.policies.loader import load_profile

AS_OF = date(2026, 12, 1)
MILD, MODERATE, SEVERE, INTACT = (
    AbilityLevel.MILD,
    AbilityLevel.MODERATE,
    AbilityLevel.SEVERE,
    AbilityLevel.INTACT,
)

# Favourable facts for everyone; each case changes what it tests.
BASE = Facts(
    hukou_local=True,
    resides_locally=True,
    in_pilot_area=True,
    has_stable_caregiver=True,
    is_renter=False,
    economic_status=EconomicStatus.OTHER,
)

CASES = [
    # --- 341800 Xuancheng: (60+ and moderate/severe) or 80+, hukou, pilot area, caregiver, no renter
    ("341800", "60th birthday, moderate", date(1966, 12, 1), AS_OF, {"ability_level": MODERATE}, True, []),
    ("341800", "day before 60th, severe", date(1966, 12, 2), AS_OF, {"ability_level": SEVERE}, False, ["age-and-ability"]),
    ("341800", "80th birthday, intact", date(1946, 12, 1), AS_OF, {"ability_level": INTACT}, True, []),
    ("341800", "day before 80th, intact", date(1946, 12, 2), AS_OF, {"ability_level": INTACT}, False, ["age-and-ability"]),
    ("341800", "70, mild", date(1956, 3, 3), AS_OF, {"ability_level": MILD}, False, ["age-and-ability"]),
    ("341800", "85, no assessment: 80+ branch", date(1941, 1, 1), AS_OF, {}, True, []),
    ("341800", "renter", date(1950, 1, 1), AS_OF, {"ability_level": SEVERE, "is_renter": True}, False, ["not-renter"]),
    ("341800", "no stable caregiver, outside pilot", date(1950, 1, 1), AS_OF,
     {"ability_level": SEVERE, "has_stable_caregiver": False, "in_pilot_area": False}, False,
     ["pilot-area", "stable-caregiver"]),
    ("341800", "non-local hukou", date(1950, 1, 1), AS_OF, {"ability_level": SEVERE, "hukou_local": False}, False, ["hukou-local"]),
    ("341800", "leap-day born, day before 80th", date(1944, 2, 29), date(2024, 2, 28), {"ability_level": MILD}, False, ["age-and-ability"]),
    ("341800", "leap-day born, 80th birthday", date(1944, 2, 29), date(2024, 2, 29), {"ability_level": MILD}, True, []),
    # --- 310105 Changning: hukou, 60+, care-needs >= 4, caregiver, living in a pilot street
    ("310105", "60th birthday, level 4", date(1966, 12, 1), AS_OF, {"care_needs_level": 4}, True, []),
    ("310105", "day before 60th, level 6", date(1966, 12, 2), AS_OF, {"care_needs_level": 6}, False, ["age-60"]),
    ("310105", "level 3", date(1940, 5, 5), AS_OF, {"care_needs_level": 3}, False, ["care-needs-level"]),
    ("310105", "ability instead of care-needs", date(1940, 5, 5), AS_OF, {"ability_level": SEVERE}, False, ["care-needs-level"]),
    ("310105", "outside pilot street", date(1940, 5, 5), AS_OF, {"care_needs_level": 5, "in_pilot_area": False}, False, ["resides-in-pilot-street"]),
    ("310105", "non-local hukou, no caregiver", date(1940, 5, 5), AS_OF,
     {"care_needs_level": 5, "hukou_local": False, "has_stable_caregiver": False}, False,
     ["hukou-local", "stable-caregiver"]),
    ("310105", "renter is fine here", date(1940, 5, 5), AS_OF, {"care_needs_level": 4, "is_renter": True}, True, []),
    ("310105", "leap-day born, day before 60th", date(1964, 2, 29), date(2024, 2, 28), {"care_needs_level": 4}, False, ["age-60"]),
    ("310105", "leap-day born, 60th birthday", date(1964, 2, 29), date(2024, 2, 29), {"care_needs_level": 4}, True, []),
    # --- 330102 Shangcheng: hukou + residence; 60+ moderate/severe or 80+ mild
    ("330102", "60th birthday, moderate", date(1966, 12, 1), AS_OF, {"ability_level": MODERATE}, True, []),
    ("330102", "day before 60th, moderate", date(1966, 12, 2), AS_OF, {"ability_level": MODERATE}, False, ["age-and-ability"]),
    ("330102", "80th birthday, mild", date(1946, 12, 1), AS_OF, {"ability_level": MILD}, True, []),
    ("330102", "day before 80th, mild", date(1946, 12, 2), AS_OF, {"ability_level": MILD}, False, ["age-and-ability"]),
    ("330102", "85, intact", date(1941, 6, 1), AS_OF, {"ability_level": INTACT}, False, ["age-and-ability"]),
    ("330102", "90, severe", date(1936, 6, 1), AS_OF, {"ability_level": SEVERE}, True, []),
    ("330102", "non-local hukou, lives elsewhere", date(1950, 1, 1), AS_OF,
     {"ability_level": SEVERE, "hukou_local": False, "resides_locally": False}, False,
     ["hukou-local", "resides-locally"]),
    ("330102", "leap-day born 1944, 80th birthday, mild", date(1944, 2, 29), date(2024, 2, 29), {"ability_level": MILD}, True, []),
    ("330102", "leap-day born 1944, day before, mild", date(1944, 2, 29), date(2024, 2, 28), {"ability_level": MILD}, False, ["age-and-ability"]),
    # --- 330100 Hangzhou (interpretation): 60+, living in the city, an assessment on file
    ("330100", "60th birthday, intact", date(1966, 12, 1), AS_OF, {"ability_level": INTACT}, True, []),
    ("330100", "day before 60th", date(1966, 12, 2), AS_OF, {"ability_level": SEVERE}, False, ["age-60"]),
    ("330100", "no assessment", date(1946, 12, 1), AS_OF, {}, False, ["ability-assessed"]),
    ("330100", "lives outside the city", date(1946, 12, 1), AS_OF, {"ability_level": MILD, "resides_locally": False}, False, ["resides-locally"]),
    ("330100", "80th birthday, renter, no hukou", date(1946, 12, 1), AS_OF,
     {"ability_level": MILD, "is_renter": True, "hukou_local": False}, True, []),
    ("330100", "leap-day born, 60th birthday", date(1964, 2, 29), date(2024, 2, 29), {"ability_level": MODERATE}, True, []),
    ("330100", "leap-day born, day before 60th", date(1964, 2, 29), date(2024, 2, 28), {"ability_level": MODERATE}, False, ["age-60"]),
    # --- 330326 Pingyang (interpretation): 60+, at least mild impairment, living locally
    ("330326", "60th birthday, mild", date(1966, 12, 1), AS_OF, {"ability_level": MILD}, True, []),
    ("330326", "day before 60th, mild", date(1966, 12, 2), AS_OF, {"ability_level": MILD}, False, ["age-60"]),
    ("330326", "80th birthday, intact", date(1946, 12, 1), AS_OF, {"ability_level": INTACT}, False, ["needs-graded-care"]),
    ("330326", "80th birthday, moderate", date(1946, 12, 1), AS_OF, {"ability_level": MODERATE}, True, []),
    ("330326", "lives elsewhere", date(1936, 1, 1), AS_OF, {"ability_level": SEVERE, "resides_locally": False}, False, ["resides-locally"]),
    ("330326", "no assessment", date(1936, 1, 1), AS_OF, {}, False, ["needs-graded-care"]),
    ("330326", "leap-day born, 60th birthday", date(1964, 2, 29), date(2024, 2, 29), {"ability_level": SEVERE}, True, []),
    ("330326", "leap-day born, day before 60th", date(1964, 2, 29), date(2024, 2, 28), {"ability_level": SEVERE}, False, ["age-60"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "case", "born", "as_of", "changes", "eligible", "unmet"),
    CASES,
    ids=[f"{c[0]}:{c[1]}" for c in CASES],
)
def test_eligibility_case(
    code: str,
    case: str,
    born: date,
    as_of: date,
    changes: dict[str, object],
    eligible: bool,
    unmet: list[str],
) -> None:
    result = evaluate_eligibility(
        load_profile(code), replace(BASE, birth_date=born, **changes), as_of=as_of
    )
    assert result.eligible is eligible, case
    assert list(result.unmet) == unmet
    assert [o.id for o in result.rules if not o.passed] == unmet


def test_every_profile_has_at_least_six_cases() -> None:
    counts = {code: sum(1 for c in CASES if c[0] == code) for code in {c[0] for c in CASES}}
    assert set(counts) == {"341800", "310105", "330102", "330100", "330326"}
    assert min(counts.values()) >= 6


def test_rule_outcomes_carry_citations_and_reasons() -> None:
    facts = replace(BASE, birth_date=date(1956, 3, 3), ability_level=MILD)
    result = evaluate_eligibility(load_profile("341800"), facts, as_of=AS_OF)
    by_id = {o.id: o for o in result.rules}
    assert by_id["age-and-ability"].citation == "001 §四(一)"
    assert by_id["age-and-ability"].reason == (
        "(ability_level mild not in moderate/severe) or (age 70 < 80)"
    )
    assert by_id["hukou-local"].reason == "hukou_local is true"
    assert result.age == 70


def test_missing_fact_fails_the_rule_and_names_the_fact() -> None:
    facts = replace(BASE, birth_date=date(1956, 3, 3), has_stable_caregiver=None)
    result = evaluate_eligibility(load_profile("341800"), facts, as_of=AS_OF)
    by_id = {o.id: o for o in result.rules}
    assert not by_id["age-and-ability"].passed
    assert "missing fact: ability_level" in by_id["age-and-ability"].reason
    assert by_id["stable-caregiver"].reason == "missing fact: has_stable_caregiver"
    assert result.unmet == ("age-and-ability", "stable-caregiver")


def test_missing_birth_date_names_it_and_age_is_unknown() -> None:
    result = evaluate_eligibility(
        load_profile("310105"), replace(BASE, care_needs_level=5), as_of=AS_OF
    )
    by_id = {o.id: o for o in result.rules}
    assert result.age is None
    assert by_id["age-60"].reason == "missing fact: birth_date (or id_number)"
    assert result.unmet == ("age-60",)


def test_birth_after_as_of_is_not_an_age() -> None:
    facts = replace(BASE, birth_date=date(2027, 1, 1), care_needs_level=5)
    result = evaluate_eligibility(load_profile("310105"), facts, as_of=AS_OF)
    assert result.age is None
    assert {o.id: o.reason for o in result.rules}["age-60"] == "birth_date lies after as_of"


@pytest.mark.parametrize(
    ("status", "ability", "priority"),
    [
        (EconomicStatus.DIBAO, SEVERE, True),
        (EconomicStatus.DIBIAN, MODERATE, True),
        (EconomicStatus.OTHER, SEVERE, False),
        (EconomicStatus.DIBAO, MILD, False),  # not eligible at 70 and mild: no priority either
    ],
)
def test_xuancheng_low_income_priority(
    status: EconomicStatus, ability: AbilityLevel, priority: bool
) -> None:
    facts = replace(
        BASE, birth_date=date(1956, 3, 3), ability_level=ability, economic_status=status
    )
    result = evaluate_eligibility(load_profile("341800"), facts, as_of=AS_OF)
    assert result.priority is priority
    assert result.priority_rules[0].citation == "001 §四(一)"


def test_issue_example_body_is_eligible_at_80() -> None:
    facts = replace(BASE, birth_date=date(1946, 5, 1), ability_level=MODERATE)
    result = evaluate_eligibility(load_profile("341800"), facts, as_of=AS_OF)
    assert (result.eligible, result.priority, result.age) == (True, False, 80)
