"""Settlement periods are calendar months (`YYYY-MM`), dates are Asia/Shanghai calendar days."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int
    # computed once: the calculators ask for them for every bed of a county month
    first_day: date = field(init=False, compare=False, repr=False)
    last_day: date = field(init=False, compare=False, repr=False)
    days: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        days = calendar.monthrange(self.year, self.month)[1]
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "first_day", date(self.year, self.month, 1))
        object.__setattr__(self, "last_day", date(self.year, self.month, days))

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PERIOD.match(text)
        if match is None:
            raise ValueError(f"{text!r} is not a period YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        return cls(day.year, day.month)

    def shifted(self, months: int) -> Period:
        index = self.year * 12 + self.month - 1 + months
        return Period(index // 12, index % 12 + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def add_months(day: date, months: int) -> date:
    """The same day-of-month `months` later, clamped to the month's end (11-30 + 3 → 02-28)."""
    target = Period.of(day).shifted(months)
    return date(target.year, target.month, min(day.day, target.days))


def days_between(first: date, last: date) -> int:
    """Days in the closed range [first, last]; 0 when empty."""
    return max(0, (last - first).days + 1)


def overlap_days(first: date, last: date, period: Period) -> int:
    return days_between(max(first, period.first_day), min(last, period.last_day))


def day_before(day: date) -> date:
    return day - timedelta(days=1)
