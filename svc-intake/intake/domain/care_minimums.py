"""Can a care plan meet the service minimums (001 §四(三)3: 每日上门服务不少于 1 次，每月累计服务
时长不少于 30 小时，每 2 周医护人员应该至少上门服务 1 次)?

A plan states frequencies, not dates, so it is judged by what its frequencies guarantee in the
least favourable month (the platform's reading, `reading` in the profile):
- only on-site items count (video rounds and phone calls are recorded, not counted);
- visits a day: `times / days of the period`, with a month counted as 31 days (its longest);
- hours a month: `times × minutes` over a 28-day month (28 days, 4 weeks, 1 month), its shortest;
- a medic (nurse or doctor) on site at least once every N days: the medic items' visits a day,
  times N, come to at least 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from chassis.policy import Citation
from intake.domain.care_plan import Period, PlannedItem
from intake.domain.profile_sections import CareMinimums

LONGEST_PERIOD_DAYS = {Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 31}
IN_SHORTEST_MONTH = {Period.DAY: 28, Period.WEEK: 4, Period.MONTH: 1}


def visits_a_day(item: PlannedItem) -> Fraction:
    return Fraction(item.times, LONGEST_PERIOD_DAYS[item.per])


def minutes_in_shortest_month(item: PlannedItem) -> int:
    return item.times * item.minutes_per_visit * IN_SHORTEST_MONTH[item.per]


def unmet_minimums(plan: Sequence[PlannedItem], minimums: CareMinimums) -> list[str]:
    """Each minimum the plan cannot meet, with its quote and citation (empty: all met)."""
    on_site = [item for item in plan if item.on_site]
    problems: list[str] = []

    daily = sum((visits_a_day(item) for item in on_site), Fraction(0))
    need = minimums.daily_onsite_visits
    if daily < need.value:
        problems.append(
            _unmet(need.citation, f"its on-site items come to {_rate(daily)} visit(s) a day")
        )

    minutes = sum(minutes_in_shortest_month(item) for item in on_site)
    hours = minimums.monthly_onsite_hours
    if minutes < hours.value * 60:
        problems.append(
            _unmet(
                hours.citation,
                f"its on-site items come to {minutes / 60:g} hours in a 28-day month",
            )
        )

    every = minimums.medic_every_days
    medic_roles = set(minimums.medic_roles)
    medic = sum(
        (visits_a_day(item) for item in on_site if item.worker_role in medic_roles), Fraction(0)
    )
    if medic * every.value < 1:
        roles = " or ".join(minimums.medic_roles)
        problems.append(
            _unmet(
                every.citation, f"no {roles} is planned on site at least every {every.value} days"
            )
        )
    return problems


def _unmet(citation: Citation, detail: str) -> str:
    return f"minimum unmet: {citation.quote} ({citation.text}): {detail}"


def _rate(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.2f}"
