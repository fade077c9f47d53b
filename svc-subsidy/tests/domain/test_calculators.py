"""Every rule at its boundaries: the 3- and 6-month tranche dates, the 600 cap, 10 % in fen, the
pilot end, consent missing, missing facts (001 §四(七), 002 §八1/5, 004 §二(四)3 §三(二))."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from subsidy.domain.calculators import calculate
from subsidy.domain.facts import BED_FACT_FIELDS, BedFacts, Suspension, bed_facts_of
from subsidy.domain.lines import Calculation
from subsidy.domain.periods import Period
from subsidy.domain.policy import ModificationRule, OperatingRule, SubsidyProfile
from subsidy.policies.loader import load_profile

XUANCHENG = load_profile("341800")
CHANGNING = load_profile("310105")
PINGYANG = load_profile("330326")

BED = BedFacts(
    birth_date=date(1950, 3, 1),
    ability_level="moderate",  # type: ignore[arg-type]
    economic_status="dibao",  # type: ignore[arg-type]
    package_fee_fen=80000,
    contract_start=date(2022, 4, 15),
    contract_end=date(2023, 4, 14),
    established_on=date(2022, 4, 15),
    accepted_on=date(2022, 5, 20),
    construction_investment_fen=360000,
)


def run(profile: SubsidyProfile, period: str, bed: BedFacts) -> Calculation:
    return calculate(profile, Period.parse(period), bed)


def amounts(calc: Calculation) -> dict[str, int]:
    return {line.kind: line.amount_fen for line in calc.lines}


def notes(calc: Calculation) -> dict[str, str]:
    return {s.kind: s.note for s in calc.skipped}


# -- construction (001 §四(七)1) ------------------------------------------------------------


def test_first_tranche_in_the_month_three_months_of_service_complete() -> None:
    assert "construction" not in amounts(run(XUANCHENG, "2022-06", BED))
    july = run(XUANCHENG, "2022-07", BED)
    assert amounts(july)["construction"] == 150000  # 50 % of min(3600, 3000) yuan
    line = july.lines[0]
    assert line.seed == "001 §四(七)1"
    assert "2022-07-15" in line.explanation
    assert "construction" not in amounts(run(XUANCHENG, "2022-08", BED))


def test_second_tranche_at_six_months_is_the_rest() -> None:
    paid = replace(BED, construction_paid_fen=150000)
    assert amounts(run(XUANCHENG, "2022-10", paid))["construction"] == 150000
    odd = replace(BED, construction_investment_fen=12345, construction_paid_fen=6173)
    # 50 % of 123.45 yuan = 61.725 → 61.73 for the first; the second takes the rest 61.72
    assert amounts(run(XUANCHENG, "2022-07", replace(odd, construction_paid_fen=0))) == {
        "construction": 6173,
        "low_income_service": 60000,
    }
    assert amounts(run(XUANCHENG, "2022-10", odd))["construction"] == 6172


def test_acceptance_after_three_months_moves_the_first_tranche() -> None:
    late = replace(BED, accepted_on=date(2022, 8, 2))
    assert "construction" not in amounts(run(XUANCHENG, "2022-07", late))
    assert amounts(run(XUANCHENG, "2022-08", late))["construction"] == 150000


def test_acceptance_after_six_months_pays_both_tranches_at_once() -> None:
    late = replace(BED, accepted_on=date(2022, 11, 3))
    assert amounts(run(XUANCHENG, "2022-11", late))["construction"] == 300000


def test_not_accepted_is_a_note_in_the_month_it_would_be_due() -> None:
    pending = replace(BED, accepted_on=None)
    assert "accepted_on" in notes(run(XUANCHENG, "2022-07", pending))["construction"]


def test_a_bed_ended_before_the_due_date_gets_no_tranche() -> None:
    # three months end 2022-07-14 inclusive: terminated from 07-15 still served them
    served = replace(BED, terminated_on=date(2022, 7, 15))
    assert amounts(run(XUANCHENG, "2022-07", served))["construction"] == 150000
    short = replace(BED, terminated_on=date(2022, 7, 14))
    assert "construction" not in amounts(run(XUANCHENG, "2022-07", short))
    assert "ended" in notes(run(XUANCHENG, "2022-07", short))["construction"]
    # the contract's own end: served up to 10-14 completes six months
    six = replace(BED, contract_end=date(2022, 10, 14), construction_paid_fen=150000)
    assert amounts(run(XUANCHENG, "2022-10", six))["construction"] == 150000
    five = replace(six, contract_end=date(2022, 10, 13))
    assert "construction" not in amounts(run(XUANCHENG, "2022-10", five))


def test_investment_below_the_cap_and_already_paid_elders() -> None:
    small = replace(BED, construction_investment_fen=200000)
    assert amounts(run(XUANCHENG, "2022-07", small))["construction"] == 100000
    paid_elsewhere = replace(BED, construction_paid_fen=300000)  # once per elder
    assert "construction" not in amounts(run(XUANCHENG, "2022-10", paid_elsewhere))


def test_missing_investment_is_skipped_not_guessed() -> None:
    unknown = replace(BED, construction_investment_fen=None)
    assert (
        "construction_investment_fen" in notes(run(XUANCHENG, "2022-07", unknown))["construction"]
    )


# -- low-income service subsidy (001 §四(七)2) -----------------------------------------------


def test_the_600_cap() -> None:
    assert (
        amounts(run(XUANCHENG, "2022-07", replace(BED, package_fee_fen=60000)))[
            "low_income_service"
        ]
        == 60000
    )
    assert (
        amounts(run(XUANCHENG, "2022-07", replace(BED, package_fee_fen=60001)))[
            "low_income_service"
        ]
        == 60000
    )
    assert (
        amounts(run(XUANCHENG, "2022-07", replace(BED, package_fee_fen=59999)))[
            "low_income_service"
        ]
        == 59999
    )


def test_partial_months_and_suspended_days_are_pro_rated() -> None:
    # April 2022: established the 15th → 16 of 30 days
    assert amounts(run(XUANCHENG, "2022-04", BED))["low_income_service"] == 42667
    suspended = replace(
        BED, suspensions=(Suspension(date(2022, 8, 1), resumed_on=date(2022, 8, 11)),)
    )
    assert amounts(run(XUANCHENG, "2022-08", suspended))["low_income_service"] == 54194  # 21/31
    whole = replace(BED, suspensions=(Suspension(date(2022, 7, 30)),))
    assert "low_income_service" not in amounts(run(XUANCHENG, "2022-08", whole))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"birth_date": date(1962, 7, 2)}, "age 59"),
        ({"ability_level": "mild"}, "ability"),
        ({"economic_status": "other"}, "economic status"),
        ({"birth_date": None}, "birth_date"),
        ({"economic_status": None}, "economic_status"),
    ],
)
def test_low_income_eligibility(change: dict[str, object], reason: str) -> None:
    calc = run(XUANCHENG, "2022-07", replace(BED, **change))  # type: ignore[arg-type]
    assert "low_income_service" not in amounts(calc)
    assert reason in notes(calc)["low_income_service"]


def test_sixty_on_the_first_day_of_the_month() -> None:
    assert "low_income_service" in amounts(
        run(XUANCHENG, "2022-07", replace(BED, birth_date=date(1962, 7, 1)))
    )


# -- operating subsidies (001 §四(七)3, 002 §八1) -------------------------------------------


def test_xuancheng_operating_rate_is_configuration() -> None:
    assert "not configured" in notes(run(XUANCHENG, "2022-07", BED))["operating"]
    configured = _with_rule(XUANCHENG, "operating", monthly_rate_fen=31000)
    assert amounts(run(configured, "2022-07", BED))["operating"] == 31000
    assert amounts(run(configured, "2022-05", BED))["operating"] == 12000  # from 05-20: 12/31
    assert "operating" not in amounts(run(configured, "2022-07", replace(BED, accepted_on=None)))


def test_changning_ten_percent_in_fen() -> None:
    bed = replace(BED, package_fee_fen=55555)
    assert amounts(run(CHANGNING, "2022-07", bed))["operating"] == 5556
    assert (
        amounts(run(CHANGNING, "2022-07", replace(BED, package_fee_fen=50000)))["operating"] == 5000
    )
    assert "operating" not in amounts(run(CHANGNING, "2022-05", replace(bed, accepted_on=None)))


def test_changning_has_no_construction_or_low_income_lines() -> None:
    assert set(amounts(run(CHANGNING, "2022-07", BED))) == {"operating"}


def test_changning_modification_is_matched_one_to_one_when_configured() -> None:
    bed = replace(BED, modification_cost_fen=250000)
    assert "not configured" in notes(run(CHANGNING, "2022-05", bed))["modification"]
    configured = _with_rule(CHANGNING, "modification", cap_fen=200000)
    line = next(x for x in run(configured, "2022-05", bed).lines if x.kind == "modification")
    assert line.amount_fen == 400000
    assert [(leg.level, leg.amount_fen) for leg in line.funding] == [
        ("city", 200000),
        ("district", 200000),
    ]


# -- Pingyang (004 §三(二), §二(四)3) ---------------------------------------------------------


def test_pingyang_modification_needs_consent_and_is_capped() -> None:
    bed = replace(BED, modification_cost_fen=320000, modification_consent=True)
    assert amounts(run(PINGYANG, "2022-05", bed))["modification"] == 300000
    assert (
        amounts(run(PINGYANG, "2022-05", replace(bed, modification_cost_fen=120000)))[
            "modification"
        ]
        == 120000
    )
    assert "modification" not in amounts(run(PINGYANG, "2022-06", bed))  # once, when accepted
    missing = run(PINGYANG, "2022-05", replace(bed, modification_consent=None))
    assert "modification" not in amounts(missing)
    assert "consent is missing" in notes(missing)["modification"]
    refused = run(PINGYANG, "2022-05", replace(bed, modification_consent=False))
    assert "consent is refused" in notes(refused)["modification"]


def test_vouchers_settle_only_services_delivered() -> None:
    bed = replace(BED, voucher_fen=30000, services_delivered_fen=18000)
    assert amounts(run(PINGYANG, "2022-07", bed))["voucher_settlement"] == 18000
    more = replace(bed, services_delivered_fen=45000)
    assert amounts(run(PINGYANG, "2022-07", more))["voucher_settlement"] == 30000
    none = run(PINGYANG, "2022-07", replace(bed, services_delivered_fen=0))
    assert "voucher_settlement" not in amounts(none)
    unknown = run(PINGYANG, "2022-07", replace(bed, services_delivered_fen=None))
    assert "services_delivered_fen" in notes(unknown)["voucher_settlement"]
    unset = run(PINGYANG, "2022-07", replace(bed, voucher_fen=None))
    assert "voucher" in notes(unset)["voucher_settlement"]


# -- Xuancheng pilot end (001 试点期限, §四(七)) --------------------------------------------


def test_contracts_signed_in_the_pilot_keep_the_subsidy_at_most_one_year() -> None:
    bed = replace(
        BED,
        contract_start=date(2023, 12, 31),
        established_on=date(2023, 12, 31),
        accepted_on=date(2024, 1, 20),
        contract_end=date(2025, 6, 30),
    )
    assert amounts(run(XUANCHENG, "2024-12", bed))["low_income_service"] == 60000
    assert "low_income_service" not in amounts(run(XUANCHENG, "2025-01", bed))
    shorter = replace(bed, contract_end=date(2024, 6, 15))
    assert amounts(run(XUANCHENG, "2024-06", shorter))["low_income_service"] == 40000  # 800 × 15/30
    assert "low_income_service" not in amounts(run(XUANCHENG, "2024-07", shorter))


def test_contracts_signed_after_the_pilot_get_nothing() -> None:
    bed = replace(
        BED,
        contract_start=date(2024, 1, 1),
        established_on=date(2024, 1, 1),
        accepted_on=date(2024, 2, 1),
        contract_end=date(2024, 12, 31),
    )
    calc = run(XUANCHENG, "2024-04", bed)
    assert calc.lines == ()
    assert "after the pilot" in notes(calc)["construction"]


def test_the_same_facts_give_the_same_lines() -> None:
    assert run(XUANCHENG, "2022-07", BED) == run(XUANCHENG, "2022-07", BED)


def _with_rule(profile: SubsidyProfile, kind: str, **changes: object) -> SubsidyProfile:
    rules = tuple(r.model_copy(update=changes) if r.kind == kind else r for r in profile.rules)
    assert any(isinstance(r, OperatingRule | ModificationRule) for r in rules)
    return profile.model_copy(update={"rules": rules})


def test_bed_facts_without_the_frozen_init_are_the_same_facts() -> None:
    """The run's fast constructor gives the object `BedFacts(...)` gives: equal, same hash,
    same fields, still frozen."""
    values = (
        date(1950, 3, 1),
        "moderate",
        "dibao",
        80000,
        date(2022, 4, 15),
        date(2023, 4, 14),
        date(2022, 4, 15),
        date(2022, 5, 20),
        None,
        360000,
        150000,
        200000,
        True,
        None,
        29010,
        (Suspension(date(2022, 7, 21), date(2022, 8, 1)),),
    )
    fast = bed_facts_of(values)
    slow = BedFacts(*values)  # type: ignore[arg-type]
    assert fast == slow
    assert hash(fast) == hash(slow)
    assert tuple(getattr(fast, name) for name in BED_FACT_FIELDS) == values
    with pytest.raises(AttributeError):
        fast.package_fee_fen = 1  # type: ignore[misc]
