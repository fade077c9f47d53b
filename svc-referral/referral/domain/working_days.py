"""Chinese working days (工作日): public holidays off, make-up workdays (调休) on.

The same reading as intake's `domain/working_days.py` (services share no code but the chassis):
the start day itself is not counted (民法典 第二百零一条), the deadline is the N-th working day
after it. chinese-calendar ships the State Council's schedule a year at a time; beyond it we count
Monday–Friday and say so (`estimated`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar


@dataclass(frozen=True)
class WorkingDayDue:
    due: date
    working_days: int
    estimated: bool  # a year beyond the holiday schedule was counted as Mon–Fri


def is_working_day(day: date) -> tuple[bool, bool]:
    """(is a working day, known from the official schedule)."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        return day.weekday() < 5, False


def add_working_days(start: date, working_days: int) -> WorkingDayDue:
    """The `working_days`-th working day after `start` (start itself not counted)."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day, counted, estimated = start, 0, False
    while counted < working_days:
        day += timedelta(days=1)
        working, known = is_working_day(day)
        estimated = estimated or not known
        if working:
            counted += 1
    return WorkingDayDue(due=day, working_days=working_days, estimated=estimated)
