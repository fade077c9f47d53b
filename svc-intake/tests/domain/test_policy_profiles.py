"""The policy files: they load, every citation quotes its seed verbatim, unknown codes fail."""

from __future__ import annotations

import pytest

from chassis.testing.seeds import quoted_in_seed
from intake.domain.errors import UnknownJurisdiction
from intake.domain.policy import Citation, PolicyProfile
from intake.policies.loader import (
    known_jurisdictions,
    load_all_profiles,
    load_catalogue,
    load_profile,
)

CODES = ("341800", "310105", "330102", "330100", "330326")


def test_the_five_jurisdictions_have_profiles() -> None:
    assert set(known_jurisdictions()) == set(CODES)
    assert set(load_all_profiles()) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_citation_quotes_its_seed(code: str) -> None:
    profile = load_profile(code)
    for citation in profile.citations():
        seed_file = profile.seeds[citation.seed]
        assert seed_file.startswith(citation.seed + "_")
        assert quoted_in_seed(citation.seed, citation.quote), f"{code}: {citation.text} not quoted"


def test_catalogue_citations_quote_their_seeds() -> None:
    for item in load_catalogue().items:
        for citation in item.citations:
            assert quoted_in_seed(citation.seed, citation.quote), item.id


def test_unknown_jurisdiction_is_a_domain_error() -> None:
    with pytest.raises(UnknownJurisdiction) as caught:
        load_profile("110105")
    assert caught.value.code == "110105"
    assert "341800" in caught.value.known


def test_key_numbers_match_the_seeds() -> None:
    xuancheng, changning = load_profile("341800"), load_profile("310105")
    assert xuancheng.contract.min_first_contract_months == 6  # 001 §四(四)3
    assert xuancheng.lifecycle.update_working_days == 5  # 001 §四(六)
    assert (changning.contract.base_package_min_fen, changning.contract.base_package_max_fen) == (
        50_000,
        100_000,
    )  # 002 §三(二)1: 500 元（含）to 1000 元（含）
    assert changning.review.levels == ("street", "district")  # 002 §六(一)
    assert changning.assessment_scale == "care_needs_0_6"
    assert all(load_profile(c).assessment_scale == "ability_4" for c in CODES if c != "310105")


def test_a_citation_renders_in_house_style() -> None:
    assert Citation(seed="001", section="§四(一)", quote="具有").text == "001 §四(一)"


def test_a_rule_citing_an_undeclared_seed_is_rejected() -> None:
    raw = load_profile("341800").model_dump()
    raw["eligibility"][0]["citation"]["seed"] = "004"
    with pytest.raises(ValueError, match="names a seed missing"):
        PolicyProfile.model_validate(raw)


def test_a_condition_with_two_fields_is_rejected() -> None:
    raw = load_profile("341800").model_dump()
    raw["eligibility"][0]["when"] = {"fact": "hukou_local", "age_at_least": 60}
    with pytest.raises(ValueError, match="exactly one field"):
        PolicyProfile.model_validate(raw)
