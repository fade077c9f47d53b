"""The records profiles and catalogues: they load, every quote is verbatim in its seed, every
item has a category and roles, counts match the annexes (002 附件2: 54 in 4 groups; 001 附件3:
16 in 3 groups), unknown jurisdictions are a 422 domain error."""

from __future__ import annotations

from collections import Counter

import pytest

from chassis.errors import Unprocessable
from chassis.testing.seeds import quoted_in_seed
from service_records.domain.errors import UnknownJurisdiction
from service_records.domain.minimums import MinimumsProfile
from service_records.domain.vocabulary import ServiceCategory, WorkerRole
from service_records.policies.loader import (
    CATALOGUE_FILES,
    known_jurisdictions,
    load_all_profiles,
    load_catalogue_file,
    load_profile,
)

CODES = ("341800", "310105", "330100", "330102", "330326")


def test_the_five_jurisdictions_have_profiles() -> None:
    assert set(known_jurisdictions()) == set(CODES)
    assert set(load_all_profiles()) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_citation_quotes_its_seed(code: str) -> None:
    profile = load_profile(code)
    for citation in profile.citations():
        assert profile.source.seeds[citation.seed].startswith(citation.seed + "_")
        assert quoted_in_seed(citation.seed, citation.quote), f"{code}: {citation.text}"


@pytest.mark.parametrize("catalogue_id", sorted(CATALOGUE_FILES))
def test_every_item_name_is_verbatim_in_its_seed(catalogue_id: str) -> None:
    raw = load_catalogue_file(catalogue_id)
    for item in raw.items:
        assert quoted_in_seed(raw.seed, item.name), f"{catalogue_id}: {item.name}"
        if item.roles_quote:
            assert quoted_in_seed(raw.seed, item.roles_quote), item.code
        if item.standard_time:
            assert quoted_in_seed(raw.seed, item.standard_time), item.code


def test_changning_annex_2_has_54_items_in_4_groups() -> None:
    """002 附件2 长宁区家庭照护床位服务项目指导目录."""
    catalogue = load_profile("310105").catalogue
    counts = Counter(i.group_name for i in catalogue.items)
    assert counts == {
        "(一) 生活照料": 28,
        "(二) 健康管理": 11,
        "(三) 乐龄支持": 5,
        "(四) 应急援助": 10,
    }
    raw = load_catalogue_file("002-annex2")
    for group in raw.groups:
        numbers = [i.number for i in raw.items if i.group == group.code]
        assert numbers == list(range(1, len(numbers) + 1)), group.name


def test_xuancheng_annex_3_has_16_items_in_3_groups() -> None:
    """001 附件3 家庭养老照护床位基本服务指导清单: 平台信息 8, 生活照料 3, 医疗服务 5."""
    catalogue = load_profile("341800").catalogue
    assert Counter(i.group_name for i in catalogue.items) == {
        "平台信息": 8,
        "生活照料": 3,
        "医疗服务": 5,
    }
    delivery = Counter(i.delivery for i in catalogue.items)
    assert delivery == {"platform": 8, "on_site": 7, "third_party": 1}


def test_home_rounds_need_a_nurse_or_doctor() -> None:
    """001 附件3 上门巡诊: 请有护理资质的人员上门巡诊 (nurse/doctor, interpretation)."""
    item = load_profile("341800").catalogue.item("home_rounds")
    assert item is not None
    assert set(item.roles_allowed) == {WorkerRole.NURSE, WorkerRole.DOCTOR}
    assert item.roles_basis == "interpretation"


@pytest.mark.parametrize("code", CODES)
def test_every_item_has_a_category_and_roles(code: str) -> None:
    catalogue = load_profile(code).catalogue
    assert catalogue.items
    for item in catalogue.items:
        assert isinstance(item.category, ServiceCategory)
        assert item.roles_allowed
        assert item.seed == catalogue.seed
        assert item.section == catalogue.section
    assert len(set(catalogue.codes)) == len(catalogue.codes)
    assert all(code.isascii() for code in catalogue.codes)


def test_item_mappings_are_interpretations_except_the_category_list() -> None:
    """The seeds map no item to the six categories of 000 附件1 (shared/domain.md)."""
    for code in ("341800", "310105"):
        assert {i.basis for i in load_profile(code).catalogue.items} == {"interpretation"}
    hangzhou = load_profile("330100").catalogue
    assert {i.basis for i in hangzhou.items} == {"explicit"}
    assert {i.category for i in hangzhou.items} == set(ServiceCategory)
    assert load_profile("330326").catalogue.basis == "interpretation"


def test_minimums_are_xuancheng_only() -> None:
    """001 §四(三)3 每日上门服务不少于 1 次，每月累计服务时长不少于 30 小时，每 2 周医护人员…"""
    assert load_profile("341800").minimums == MinimumsProfile(1, 108_000, 14)
    for code in ("310105", "330100", "330102", "330326"):
        assert load_profile(code).minimums is None
        assert load_profile(code).source.minimums.applies is False


def test_caregiver_present_in_xuancheng_and_changning_only() -> None:
    """001 §五(三) and 002 §七(一)3: 服务时须有家庭照料者在场."""
    required = {c for c in CODES if load_profile(c).caregiver_present_required}
    assert required == {"341800", "310105"}


def test_unknown_jurisdiction_is_a_422_on_body_jurisdiction() -> None:
    with pytest.raises(UnknownJurisdiction) as caught:
        load_profile("110105")
    error = caught.value
    assert isinstance(error, Unprocessable)
    assert error.status == 422
    assert [e.field for e in error.field_errors] == ["body.jurisdiction"]
    assert "341800" in error.field_errors[0].message
    assert error.known == tuple(sorted(CODES))
