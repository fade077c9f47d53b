"""Changning scale award (002 §八2): each tier at its threshold, once, with its window."""

from __future__ import annotations

from subsidy.domain.periods import Period
from subsidy.domain.policy import ScaleAwardRule
from subsidy.domain.scale_award import MonthCount, scale_awards
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
