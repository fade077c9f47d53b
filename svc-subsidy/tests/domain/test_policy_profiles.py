"""The subsidy policy files: they load, every citation quotes its seed verbatim, the key numbers
match the seeds, interpretations explain themselves."""

from __future__ import annotations

import pytest

from chassis.testing.seeds import quoted_in_seed
from subsidy.domain.errors import UnknownJurisdiction
from subsidy.domain.policy import (
    ConstructionRule,
    LowIncomeServiceRule,
    ModificationRule,
    OperatingRule,
    PlatformRule,
    ScaleAwardRule,
)
from subsidy.policies.loader import known_jurisdictions, load_all_profiles, load_profile

CODES = ("310105", "330326", "341800")


def test_the_three_jurisdictions_have_profiles() -> None:
    assert known_jurisdictions() == CODES
    assert set(load_all_profiles()) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_citation_quotes_its_seed(code: str) -> None:
    profile = load_profile(code)
    for citation in profile.citations():
        assert profile.seeds[citation.seed].startswith(citation.seed + "_")
        assert quoted_in_seed(citation.seed, citation.quote), f"{code}: {citation.quote}"


@pytest.mark.parametrize("code", CODES)
def test_interpretations_carry_a_note(code: str) -> None:
    for rule in load_profile(code).rules:
        assert rule.basis == "explicit" or rule.note


def test_unknown_jurisdiction_names_the_known_ones() -> None:
    with pytest.raises(UnknownJurisdiction) as caught:
        load_profile("110105")
    assert caught.value.known == CODES


def test_key_numbers_match_the_seeds() -> None:
    xuancheng = load_profile("341800")
    construction = xuancheng.rule_of("construction")
    assert isinstance(construction, ConstructionRule)
    assert construction.cap_fen == 300000  # 001 §四(七)1 不高于 3000 元
    assert [(t.after_months, t.percent) for t in construction.tranches] == [(3, 50), (6, 50)]
    low_income = xuancheng.rule_of("low_income_service")
    assert isinstance(low_income, LowIncomeServiceRule)
    assert (low_income.cap_fen, low_income.min_age) == (60000, 60)  # 001 §四(七)2
    assert xuancheng.pilot is not None
    assert str(xuancheng.pilot.ends_on) == "2023-12-31"
    operating = xuancheng.rule_of("operating")
    assert isinstance(operating, OperatingRule)
    assert operating.monthly_rate_fen is None

    changning = load_profile("310105")
    cn_operating = changning.rule_of("operating")
    assert isinstance(cn_operating, OperatingRule)
    assert cn_operating.percent_of_package == 10
    award = changning.rule_of("scale_award")
    assert isinstance(award, ScaleAwardRule)
    assert (award.elders_per_tier, award.window_months, award.award_fen) == (100, 6, 15_000_000)
    platform = changning.rule_of("platform")
    assert isinstance(platform, PlatformRule)
    assert platform.amount_fen == 20_000_000

    pingyang = load_profile("330326")
    mod = pingyang.rule_of("modification")
    assert isinstance(mod, ModificationRule)
    assert (mod.cap_fen, mod.requires_consent) == (300000, True)  # 004 §三(二)
