"""Day and night in Asia/Shanghai: daytime activity monitoring (001 Annex 2 item 3) and night
bed-exit watch both depend on local time, while every timestamp we hold is UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class DaytimeWindow:
    """Local daytime [start, end); the rest of the day is night."""

    start: time = time(7, 0)
    end: time = time(21, 0)

    def is_daytime(self, at: datetime) -> bool:
        local = at.astimezone(SHANGHAI).time()
        return self.start <= local < self.end

    def is_night(self, at: datetime) -> bool:
        return not self.is_daytime(at)

    def daytime_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls in local daytime."""
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = start.astimezone(SHANGHAI).date()
        last_day = end.astimezone(SHANGHAI).date()
        while day <= last_day:
            window_start = datetime.combine(day, self.start, SHANGHAI)
            window_end = datetime.combine(day, self.end, SHANGHAI)
            overlap = min(end, window_end) - max(start, window_start)
            if overlap > timedelta(0):
                total += overlap
            day += timedelta(days=1)
        return total


DEFAULT_DAYTIME = DaytimeWindow()
