"""The month's minimums verdict from per-bed day bitsets: the batch form of `evaluate_rollups`.

For many beds at once (the month close of a whole city, the benchmark), the rollups of a bed are
reduced, in the database, to a few integers: a bitset of the days with enough on-site visits, a
bitset of the days with a medic, the month's on-site seconds and caregiver absences. Bit `i` is
the day `window_start + i`, where `window_start` is the first day any bed's evaluation window can
start (`month_window_start`). The bed's calendar (its active days, required seconds and the medic
periods judged this month) is a few more bitsets, computed once per distinct bed calendar and
cached. The verdict is then a handful of integer operations per bed, with the same answer as
`evaluate_rollups` (tests/domain/test_month_masks.py checks it property by property).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from service_records.domain.minimums import (
    BedFacts,
    MinimumsProfile,
    _judged,
    active_days,
    month_bounds,
    periods_ending_in,
    required_seconds,
)


def month_window_start(year: int, month: int, profile: MinimumsProfile) -> date:
    """The earliest day a bed's evaluation window of the month can start."""
    return month_bounds(year, month)[0] - timedelta(days=profile.medic_period_days - 1)


def bit(day: date, window_start: date) -> int:
    return 1 << (day - window_start).days


@dataclass(frozen=True)
class BedCalendar:
    """What a bed's facts make of the month, as bitsets over the window."""

    active_mask: int  # the bed's active days of the month
    required_seconds: int
    medic_periods: tuple[int, ...]  # judged medic periods ending in the month


@dataclass(frozen=True)
class MaskVerdict:
    compliant: bool
    missed_days: int
    medic_periods_missed: int
    hours_short: bool
    caregiver_absences: int


@lru_cache(maxsize=4096)
def bed_calendar(
    profile: MinimumsProfile, year: int, month: int, bed: BedFacts, window_start: date
) -> BedCalendar:
    """The bed's calendar of the month (cached: beds share few distinct calendars)."""
    first, last = month_bounds(year, month)
    active = active_days(year, month, bed)
    mask = 0
    for day in active:
        mask |= bit(day, window_start)
    periods = []
    for period in periods_ending_in(bed.established_on, first, last, profile.medic_period_days):
        if not _judged(period, bed):
            continue
        period_mask = 0
        day = max(period.start, window_start)
        while day <= period.end:
            period_mask |= bit(day, window_start)
            day += timedelta(days=1)
        periods.append(period_mask)
    return BedCalendar(
        active_mask=mask,
        required_seconds=required_seconds(profile, len(active), last.day),
        medic_periods=tuple(periods),
    )


def mask_verdict(
    profile: MinimumsProfile | None,
    calendar: BedCalendar | None,
    *,
    caregiver_present_required: bool,
    visited_mask: int,
    medic_mask: int,
    month_seconds: int,
    caregiver_absences: int,
) -> MaskVerdict:
    """The month's verdict (`as_of` the month's end) from a bed's bitsets and calendar.

    `visited_mask`: days with at least `daily_onsite_visits` verified on-site visits;
    `medic_mask`: days with a medic visit; `month_seconds`, `caregiver_absences`: the month's.
    """
    missed = medic_missed = 0
    short = False
    if profile is not None and calendar is not None:
        if profile.daily_onsite_visits > 0:
            missed = (calendar.active_mask & ~visited_mask).bit_count()
        medic_missed = sum(1 for p in calendar.medic_periods if not p & medic_mask)
        short = month_seconds < calendar.required_seconds
    absences = caregiver_absences if caregiver_present_required else 0
    return MaskVerdict(
        compliant=not (missed or medic_missed or short or absences),
        missed_days=missed,
        medic_periods_missed=medic_missed,
        hours_short=short,
        caregiver_absences=max(0, absences),
    )
