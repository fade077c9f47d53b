"""The bitset verdict (domain/month_masks.py) equals `evaluate_rollups` on random beds and
visits: what the database reduces rollups to is computed here from the same rollups."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from service_records.domain.minimums import (
    DAILY_VISIT,
    MEDIC_BIWEEKLY,
    MONTHLY_HOURS,
    BedFacts,
    DayRollup,
    MinimumsProfile,
    VisitFact,
    evaluate_rollups,
    month_bounds,
    rollups_from_visits,
)
from service_records.domain.month_masks import bed_calendar, bit, mask_verdict, month_window_start
from service_records.hypothesis_strategies import MONTH, YEAR, beds, visits

PROFILE = MinimumsProfile()


def reduce(days: dict[date, DayRollup], window_start: date) -> tuple[int, int, int, int]:
    """What the benchmark's SQL computes per bed from its rollups."""
    first, last = month_bounds(YEAR, MONTH)
    visited = medic = seconds = absent = 0
    for day, r in days.items():
        if not window_start <= day <= last:
            continue
        if r.onsite_visits >= PROFILE.daily_onsite_visits:
            visited |= bit(day, window_start)
        if r.medic_visits > 0:
            medic |= bit(day, window_start)
        if day >= first:
            seconds += r.onsite_seconds
            absent += max(0, r.caregiver_absent)
    return visited, medic, seconds, absent


@settings(max_examples=300, deadline=None)
@given(bed=beds(), visit_list=st.lists(visits(), max_size=60), caregiver=st.booleans())
def test_bitsets_agree_with_evaluate_rollups(
    bed: BedFacts, visit_list: list[VisitFact], caregiver: bool
) -> None:
    days = rollups_from_visits(visit_list)
    expected = evaluate_rollups(
        PROFILE,
        caregiver_present_required=caregiver,
        year=YEAR,
        month=MONTH,
        bed=bed,
        days=days,
    )
    window_start = month_window_start(YEAR, MONTH, PROFILE)
    visited, medic, seconds, absent = reduce(days, window_start)
    verdict = mask_verdict(
        PROFILE,
        bed_calendar(PROFILE, YEAR, MONTH, bed, window_start),
        caregiver_present_required=caregiver,
        visited_mask=visited,
        medic_mask=medic,
        month_seconds=seconds,
        caregiver_absences=absent,
    )
    rules = [v.rule for v in expected.violations]
    assert verdict.compliant == expected.compliant
    assert verdict.missed_days == rules.count(DAILY_VISIT)
    assert verdict.medic_periods_missed == rules.count(MEDIC_BIWEEKLY)
    assert verdict.hours_short == (MONTHLY_HOURS in rules)
