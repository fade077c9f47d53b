"""Changning's scale award (002 §八2): tier n when some `window_months` consecutive months
average at least `elders_per_tier`·n qualifying elders a month; each tier once."""

from __future__ import annotations

from dataclasses import dataclass

from subsidy.domain.periods import Period
from subsidy.domain.policy import ScaleAwardRule


@dataclass(frozen=True)
class MonthCount:
    period: Period
    qualifying_elders: int  # already without elders whose contract is shorter than 1 month


@dataclass(frozen=True)
class ScaleAward:
    tier: int
    first: Period
    last: Period
    amount_fen: int
    district_match_fen: int

    @property
    def window(self) -> str:
        return f"{self.first}..{self.last}"


def scale_awards(rule: ScaleAwardRule, months: list[MonthCount]) -> list[ScaleAward]:
    """Every tier reached, with the earliest window reaching it (the sum of the window's counts
    ≥ window·per_tier·n, exact in integers: no rounding of an average)."""
    ordered = sorted(months, key=lambda m: m.period)
    size = rule.window_months
    awards: list[ScaleAward] = []
    reached = 0
    for end in range(size - 1, len(ordered)):
        window = ordered[end - size + 1 : end + 1]
        if window[-1].period != window[0].period.shifted(size - 1):
            continue  # a gap: these months are not consecutive
        total = sum(m.qualifying_elders for m in window)
        tiers = total // (size * rule.elders_per_tier)
        while reached < tiers:
            reached += 1
            awards.append(
                ScaleAward(
                    tier=reached,
                    first=window[0].period,
                    last=window[-1].period,
                    amount_fen=rule.award_fen,
                    district_match_fen=rule.award_fen * rule.district_match_ratio,
                )
            )
    return awards
