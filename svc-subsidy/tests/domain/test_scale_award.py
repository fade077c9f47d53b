"""Changning scale award (002 §八2): each tier at its threshold, once, with its window."""

from __future__ import annotations

from datetime import date

from subsidy.domain.facts import BedFacts, Suspension
from subsidy.domain.periods import Period
from subsidy.domain.policy import ScaleAwardRule
from subsidy.domain.scale_award import (
    MonthCount,
    month_counts,
    qualifying_elders,
    scale_award_line,
    scale_awards,
)
from subsidy.policies.loader import load_profile

RULE = load_profile("310105").rule_of("scale_award")
assert isinstance(RULE, ScaleAwardRule)


def months(start: str, counts: list[int]) -> list[MonthCount]:
    first = Period.parse(start)
    return [MonthCount(first.shifted(i), n) for i, n in enumerate(counts)]


def test_tier_one_needs_an_average_of_100_over_six_months() -> None:
    assert isinstance(RULE, ScaleAwardRule)
    assert scale_awards(RULE, months("2021-01", [100, 100, 100, 100, 100, 99])) == []
    awards = scale_awards(RULE, months("2021-01", [80, 90, 100, 110, 120, 100]))
    assert [(a.tier, a.window, a.amount_fen, a.district_match_fen) for a in awards] == [
        (1, "2021-01..2021-06", 15_000_000, 15_000_000)
    ]


def test_each_tier_once_with_its_earliest_window() -> None:
    assert isinstance(RULE, ScaleAwardRule)
    counts = [100] * 6 + [150, 200, 250, 250, 250, 250, 300, 300]
    awards = scale_awards(RULE, months("2021-01", counts))
    assert [(a.tier, a.window) for a in awards] == [
        (1, "2021-01..2021-06"),
        (2, "2021-06..2021-11"),  # 100+150+200+250·3 = 1200 = 6 × 200: the first to reach it
    ]
    three = scale_awards(RULE, months("2021-01", [300] * 6))
    assert [(a.tier, a.window) for a in three] == [
        (1, "2021-01..2021-06"),
        (2, "2021-01..2021-06"),
        (3, "2021-01..2021-06"),
    ]


def test_a_missing_month_breaks_the_window() -> None:
    assert isinstance(RULE, ScaleAwardRule)
    gap = months("2021-01", [120] * 3) + months("2021-05", [120] * 3)
    assert scale_awards(RULE, gap) == []


# -- settled from bed facts (002 §八2: "每人签约服务周期达到 1 个月及以上") ------------------------


def _bed(start: date, end: date, **changes: object) -> BedFacts:
    values: dict[str, object] = {
        "contract_start": start,
        "contract_end": end,
        "established_on": start,
        **changes,
    }
    return BedFacts(**values)  # type: ignore[arg-type]


def test_qualifying_elders_exclude_short_contracts_idle_months_and_count_elders_once() -> None:
    year = (date(2022, 1, 1), date(2022, 12, 31))
    beds = [
        ("elder-1", _bed(*year)),
        ("elder-1", _bed(*year)),  # a second bed of the same elder: one elder
        ("elder-2", _bed(date(2022, 1, 1), date(2022, 1, 30))),  # shorter than a month
        ("elder-3", _bed(date(2022, 1, 10), date(2022, 2, 9))),  # exactly one month
        ("elder-4", _bed(*year, suspensions=(Suspension(date(2022, 1, 1), None),))),
    ]
    assert qualifying_elders(beds, Period(2022, 1)) == 2
    assert qualifying_elders(beds, Period(2022, 3)) == 1


def test_the_award_line_of_a_window() -> None:
    beds = [(f"elder-{n}", _bed(date(2022, 1, 1), date(2022, 12, 31))) for n in range(100)]
    counted = month_counts(beds, Period(2022, 8))
    assert [m.qualifying_elders for m in counted] == [100] * 8
    [award] = scale_awards(RULE, counted)
    assert (award.tier, award.last) == (1, Period(2022, 6))
    line = scale_award_line(RULE, counted, [award])
    assert (line.kind, line.amount_fen, line.seed) == ("scale_award", 30000000, "002 §八2")
    assert {(leg.level, leg.amount_fen) for leg in line.funding} == {
        ("city", 15000000),
        ("district", 15000000),
    }
    assert "2022-01..2022-06" in line.explanation
    # the window's six counts only, even when the months run on after it
    assert "elders 100, 100, 100, 100, 100, 100 average" in line.explanation
