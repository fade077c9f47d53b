"""Contract rules (first ≥ 6 months, base package bounds, no bed fee) and the guidance list."""

from __future__ import annotations

from datetime import date

import pytest

from homebed_schemas.events.intake import AbilityLevel, EconomicStatus
from intake.domain.conditions import Facts
from intake.domain.contract import ContractTerms, PersonalItem, check_contract
from intake.domain.errors import ContractViolation
from intake.domain.guidance import build_guidance, care_needs_to_ability
from intake.policies.loader import load_catalogue, load_profile

XUANCHENG, CHANGNING = load_profile("341800"), load_profile("310105")


def terms(start: date, end: date, fee: int = 80_000, **kw: object) -> ContractTerms:
    return ContractTerms(start=start, end=end, base_package_fee_fen=fee, **kw)  # type: ignore[arg-type]


class TestContract:
    def test_first_contract_six_months_inclusive_end(self) -> None:
        check_contract(terms(date(2026, 1, 1), date(2026, 6, 30)), XUANCHENG, is_first=True)
        with pytest.raises(ContractViolation) as caught:
            check_contract(terms(date(2026, 1, 1), date(2026, 6, 29)), XUANCHENG, is_first=True)
        assert caught.value.problems == (
            ("end", "a first contract lasts at least 6 months (001 §四(四)3)"),
        )

    def test_renewal_may_be_shorter(self) -> None:
        one_month = terms(date(2026, 7, 1), date(2026, 7, 31))
        assert not one_month.covers_months(6)
        check_contract(one_month, XUANCHENG, is_first=False)  # a renewal: accepted
        with pytest.raises(ContractViolation) as caught:  # the same terms as a first contract
            check_contract(one_month, XUANCHENG, is_first=True)
        assert [field for field, _ in caught.value.problems] == ["end"]

    def test_changning_has_no_minimum_but_bounds(self) -> None:
        short = (date(2026, 1, 1), date(2026, 1, 31))
        check_contract(terms(*short, fee=50_000), CHANGNING, is_first=True)
        check_contract(terms(*short, fee=100_000), CHANGNING, is_first=True)
        for fee, text in [(49_999, "at least 50000"), (100_001, "at most 100000")]:
            with pytest.raises(ContractViolation) as caught:
                check_contract(terms(*short, fee=fee), CHANGNING, is_first=True)
            field, message = caught.value.problems[0]
            assert field == "base_package_fee_fen"
            assert text in message
            assert "002 §三(二)1" in message

    def test_no_bed_fee_and_every_problem_is_listed(self) -> None:
        bad = terms(
            date(2026, 3, 1),
            date(2026, 2, 1),
            fee=-1,
            bed_fee_fen=100,
            personal_items=(PersonalItem("陪同就医", -5),),
        )
        with pytest.raises(ContractViolation) as caught:
            check_contract(bad, XUANCHENG, is_first=False)
        fields = [field for field, _ in caught.value.problems]
        assert fields == [
            "end",
            "base_package_fee_fen",
            "bed_fee_fen",
            "personal_items.0.monthly_fee_fen",
        ]
        assert "001 §四(三)4" in dict(caught.value.problems)["bed_fee_fen"]


class TestGuidance:
    def test_xuancheng_low_income_severe(self) -> None:
        facts = Facts(
            birth_date=date(1946, 5, 1),
            ability_level=AbilityLevel.SEVERE,
            economic_status=EconomicStatus.DIBAO,
        )
        guide = build_guidance(XUANCHENG, load_catalogue(), facts, as_of=date(2026, 12, 1))
        entitlements = {e.id: e for e in guide.entitlements}
        subsidy = entitlements["low-income-service-subsidy"]
        assert (subsidy.applies, subsidy.cap_fen, subsidy.per) == (True, 60_000, "month")
        assert subsidy.citation == "001 §四(七)2"
        assert entitlements["construction-subsidy"].cap_fen == 300_000
        modifications = {m.id for m in guide.modifications}
        assert {"bed_rail", "ramp", "grab_bar", "shower_chair", "anti_slip"} <= modifications
        # only items from the profile's catalogues (001 Annex 1/2): no 000-only items
        assert "sensor_light" not in modifications
        assert "nursing_bed" not in modifications
        devices = {d.id: d for d in guide.devices}
        assert devices["vital_signs_monitor"].required
        assert devices["emergency_button"].required
        assert "001 附件2" in devices["vital_signs_monitor"].citations
        assert guide.min_first_contract_months == 6
        assert guide.base_package_min_fen is None

    def test_unknown_economic_status_leaves_subsidy_undecided(self) -> None:
        facts = Facts(birth_date=date(1946, 5, 1), ability_level=AbilityLevel.MODERATE)
        guide = build_guidance(XUANCHENG, load_catalogue(), facts, as_of=date(2026, 12, 1))
        subsidy = {e.id: e for e in guide.entitlements}["low-income-service-subsidy"]
        assert subsidy.applies is None
        assert subsidy.missing == ("economic_status",)

    def test_changning_uses_care_needs_and_base_package_range(self) -> None:
        facts = Facts(birth_date=date(1946, 5, 1), care_needs_level=6)
        guide = build_guidance(CHANGNING, load_catalogue(), facts, as_of=date(2026, 12, 1))
        assert guide.ability_level is AbilityLevel.SEVERE
        assert (guide.base_package_min_fen, guide.base_package_max_fen) == (50_000, 100_000)
        assert {m.id for m in guide.modifications} == {"nursing_bed"}
        assert {d.id for d in guide.devices} >= {"emergency_button", "smart_mattress"}

    def test_hangzhou_draws_on_000_annex_2(self) -> None:
        facts = Facts(birth_date=date(1946, 5, 1), ability_level=AbilityLevel.MILD)
        guide = build_guidance(
            load_profile("330100"), load_catalogue(), facts, as_of=date(2026, 1, 1)
        )
        assert {m.id for m in guide.modifications} == {
            "anti_slip", "grab_bar", "shower_chair", "walker", "sensor_light",
        }  # fmt: skip
        assert all(any(c.startswith("000 ") for c in d.citations) for d in guide.devices)

    @pytest.mark.parametrize(
        ("level", "ability"), [(0, "intact"), (2, "mild"), (4, "moderate"), (6, "severe")]
    )
    def test_care_needs_bridge(self, level: int, ability: str) -> None:
        assert care_needs_to_ability(level).value == ability
