"""Time for every use case and loop: injected, never read from the wall inside domain code.

Stored times are UTC; the dates of the domain (deadlines, service days) are Shanghai dates.
Tests drive a `ManualClock` instead of racing the real one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def shanghai_date(moment: datetime) -> date:
    """The calendar date of a UTC instant in Asia/Shanghai (the date people see)."""
    return moment.astimezone(SHANGHAI).date()


class ManualClock:
    """A clock that moves only when told to: `clock()` reads it, `advance(...)` moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware start time")
        self._now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, *, seconds: float = 0.0) -> datetime:
        self._now += (delta or timedelta()) + timedelta(seconds=seconds)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)
