"""Changning's scale award (002 §八2): tier n when some `window_months` consecutive months
average at least `elders_per_tier`·n qualifying elders a month; each tier once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from subsidy.domain.facts import BedFacts, active_days
from subsidy.domain.lines import FundingLeg, Line
from subsidy.domain.money import yuan
from subsidy.domain.periods import Period, add_months, day_before
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


def qualifying_elders(beds: Iterable[tuple[str, BedFacts]], period: Period) -> int:
    """Elders counted for a month (002 §八2 "签约服务总人数 … 每人签约服务周期达到 1 个月及以上"):
    distinct elders with a bed in service at least one day of the month (active days, so
    suspended or ended contracts do not count) whose contract runs at least one month
    (end ≥ start + 1 month − 1 day). Interpretation: the seed counts signed elders."""
    counted: set[str] = set()
    for elder_id, bed in beds:
        if bed.contract_start is None or bed.contract_end is None:
            continue
        if day_before(add_months(bed.contract_start, 1)) > bed.contract_end:
            continue  # a contract shorter than a month
        days = active_days(bed, period)
        if days is not None and not days.empty:
            counted.add(elder_id)
    return len(counted)


def month_counts(beds: Sequence[tuple[str, BedFacts]], through: Period) -> list[MonthCount]:
    """The counts of every month from the first contract start of these beds to `through`."""
    starts = [b.contract_start for _, b in beds if b.contract_start is not None]
    if not starts:
        return []
    month = Period.of(min(starts))
    counts = []
    while month <= through:
        counts.append(MonthCount(month, qualifying_elders(beds, month)))
        month = month.shifted(1)
    return counts


def scale_award_line(
    rule: ScaleAwardRule, months: Sequence[MonthCount], due: Sequence[ScaleAward]
) -> Line:
    """One provider-level line for tiers reached by the same earliest window (the city award
    and the district's 1:1 match as two legs)."""
    levels: dict[str, int] = {}
    for award in due:
        levels[rule.funder] = levels.get(rule.funder, 0) + award.amount_fen
        if award.district_match_fen:
            levels["district"] = levels.get("district", 0) + award.district_match_fen
    amount = sum(levels.values())
    window = due[0].window
    tiers = ", ".join(str(a.tier) for a in due)
    counts = ", ".join(
        str(m.qualifying_elders) for m in months if due[0].first <= m.period <= due[0].last
    )
    return Line(
        kind="scale_award",
        amount_fen=amount,
        payee="provider",
        rule=rule.id,
        seed=rule.seed,
        explanation=(
            f"tier {tiers}: {window} qualifying elders {counts} average ≥ "
            f"{rule.elders_per_tier}·tier a month: award {yuan(rule.award_fen)} + district "
            f"match {yuan(rule.award_fen * rule.district_match_ratio)} per tier = "
            f"{yuan(amount)} yuan"
        ),
        funding=tuple(FundingLeg(level, fen) for level, fen in sorted(levels.items()) if fen),  # type: ignore[arg-type]
    )
