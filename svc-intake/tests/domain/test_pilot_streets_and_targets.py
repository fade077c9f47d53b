"""Changning's pilot streets by code (002 §二) and the bed targets and pilot periods
(001 §三, 002 §二, 003 §四.5) as policy data; every quote checked against its seed."""

from __future__ import annotations

from datetime import date

import pytest

from chassis.testing.seeds import quoted_in_seed
from intake.domain.errors import PilotAreaContradiction
from intake.domain.pilot_area import pilot_area_fact
from intake.domain.targets import BedCounts, target_progress
from intake.policies.loader import load_profile

CHANGNING = load_profile("310105")
STREETS = CHANGNING.pilot_streets


def test_the_pilot_streets_are_the_seeds_and_their_codes_are_marked_as_ours() -> None:
    quote = "我区在江苏路街道和天山路街道先行试点"  # 002 §二
    assert quoted_in_seed("002", quote)
    assert STREETS is not None
    assert STREETS.citation.text == "002 §二"
    assert STREETS.citation.quote == quote
    assert {s.name: s.code for s in STREETS.streets} == {
        "江苏路街道": "310105002",
        "天山路街道": "310105006",
    }
    assert STREETS.basis == "explicit"
    assert STREETS.codes_basis == "interpretation"  # the seed names the streets, not the codes
    assert STREETS.note is not None
    assert "统计用区划代码" in STREETS.note


@pytest.mark.parametrize(
    ("region_code", "declared", "expected", "source"),
    [
        ("310105002", None, True, "street_code"),  # 江苏路街道
        ("310105006001", True, True, "street_code"),  # 天山路街道, a community within it
        ("310105003", None, False, "street_code"),  # 新华路街道: not a pilot street
        ("310105", True, True, "declared"),  # no street code: the declaration stands
        ("310105", None, None, None),
    ],
)
def test_the_street_code_settles_in_pilot_area_where_given(
    region_code: str, declared: bool | None, expected: bool | None, source: str | None
) -> None:
    fact = pilot_area_fact(STREETS, region_code=region_code, declared=declared)
    assert (fact.value, fact.source) == (expected, source)


def test_a_declaration_the_street_code_contradicts_is_refused_naming_the_field() -> None:
    with pytest.raises(PilotAreaContradiction) as caught:
        pilot_area_fact(STREETS, region_code="310105003", declared=True)
    fields = [e.field for e in caught.value.field_errors]
    assert fields == ["body.in_pilot_area", "body.current_address.region_code"]
    assert "310105003" in caught.value.field_errors[0].message
    assert "002 §二" in caught.value.field_errors[0].message
    with pytest.raises(PilotAreaContradiction):
        pilot_area_fact(STREETS, region_code="310105002", declared=False)


def test_other_jurisdictions_keep_the_declaration() -> None:
    xuancheng = load_profile("341800")
    assert xuancheng.pilot_streets is None
    fact = pilot_area_fact(None, region_code="341802001", declared=False)
    assert (fact.value, fact.source) == (False, "declared")


def test_targets_quote_their_seeds() -> None:
    xuancheng = {t.id: t for t in load_profile("341800").bed_targets}
    xuanzhou = xuancheng["xuanzhou-pilot"]
    # 001 §三: "在宣州区开展家庭养老床位试点，试点床位不少于 100 张"
    assert quoted_in_seed("001", "在宣州区开展家庭养老床位试点，试点床位不少于 100 张")
    assert (xuanzhou.region_code, xuanzhou.min_beds, xuanzhou.citation.text) == (
        "341802",
        100,
        "001 §三",
    )
    assert (xuanzhou.start, xuanzhou.end) == (date(2022, 3, 1), date(2023, 12, 31))
    assert quoted_in_seed("001", "试点期限至 2023 年 12 月 31 日")
    counties = [t for t in xuancheng.values() if t.optional]
    assert len(counties) == 6
    assert all(t.min_beds == 30 for t in counties)  # 开展试点的县区试点床位不少于 30 张
    assert quoted_in_seed("001", "开展试点的县区试点床位不少于 30 张")

    (changning,) = CHANGNING.bed_targets
    assert quoted_in_seed("002", "试点周期为1年（自本文件下发之日起）")  # 002 §二
    assert changning.min_beds is None  # a period, no number
    assert (changning.start, changning.end) == (date(2020, 6, 18), date(2021, 6, 17))

    shangcheng = {t.id: t for t in load_profile("330102").bed_targets}
    assert quoted_in_seed("003", "2020年，建设200张家庭养老照护床位")  # 003 §四.5
    assert quoted_in_seed("003", "2022年，建设家庭养老照护床位不少于500张")
    assert shangcheng["shangcheng-2020"].min_beds == 200
    assert shangcheng["shangcheng-2022"].min_beds == 500
    assert shangcheng["shangcheng-2022"].basis == "interpretation"  # cumulative reading
    assert load_profile("330100").bed_targets == ()


def test_progress_counts_remaining_and_days_left() -> None:
    target = {t.id: t for t in load_profile("341800").bed_targets}["xuanzhou-pilot"]
    counts = BedCounts(established=40, accepted=25, live=38)
    running = target_progress(target, counts, today=date(2023, 12, 1))
    assert (running.period_status, running.days_left) == ("running", 30)
    assert (running.counted, running.remaining, running.met) == (40, 60, False)
    done = target_progress(target, BedCounts(120, 100, 110), today=date(2024, 1, 1))
    assert (done.period_status, done.days_left, done.remaining, done.met) == ("ended", 0, 0, True)
    early = target_progress(target, BedCounts(0, 0, 0), today=date(2022, 1, 1))
    assert early.period_status == "upcoming"
    (changning,) = CHANGNING.bed_targets
    no_number = target_progress(changning, counts, today=date(2021, 1, 1))
    assert (no_number.remaining, no_number.met) == (None, None)
