"""Calendar arithmetic for ages and contract periods.

Anniversaries follow Civil Code art. 203 (民法典 第二百零三条): when the final month has no
corresponding day, the month's last day counts, so someone born on 29 February turns a year
older on 28 February in a common year. Ages count the birthday itself (年满 N 周岁 on the day).
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(start: date, months: int) -> date:
    """The same day `months` later; clamps to the month's last day when the day is missing."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last_day))


def add_years(start: date, years: int) -> date:
    return add_months(start, 12 * years)


def age_on(birth_date: date, on: date) -> int:
    """Completed years (周岁) on a date; the birthday itself counts as reached."""
    if on < birth_date:
        raise ValueError("the date lies before the birth date")
    years = on.year - birth_date.year
    if add_years(birth_date, years) > on:
        years -= 1
    return years
