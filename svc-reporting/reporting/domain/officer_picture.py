"""The monthly picture for the supervising officer (issue 18 item 5): what the PDF shows, as
values. Pure: the service layer gathers the rows, reporting.officer draws them.

Sections and their seeds: active beds; service minimums (001 §四(三)3: a visit a day, 30 hours a
month, a medic every 2 weeks) as breaches by rule; alarm response (001 §四(三)2: on site within
15 minutes); satisfaction (000 §三(六), 002 §七(一)5); T+1 report timeliness (000 §三(二)).
Subsidies join when svc-subsidy lands (a section saying so, no invented figures)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

ARRIVAL_MINUTES = 15  # 001 §四(三)2
MINIMUM_RULES = ("daily_visit", "monthly_hours", "medic_biweekly")  # 001 §四(三)3
_REGION = re.compile(r"^\d{6}(\d{6})?$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PictureInputError(ValueError):
    """A bad --region or --month; `field` names which."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def parse_region(text: str) -> str:
    if not _REGION.match(text):
        raise PictureInputError("region", "a GB/T 2260 code of 6 or 12 digits, e.g. 330110")
    return text


def parse_month(text: str) -> tuple[date, date]:
    """`YYYY-MM` -> the first and last day of that month (Asia/Shanghai dates)."""
    found = _MONTH.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise PictureInputError("month", "YYYY-MM, e.g. 2026-11")
    year, month = int(found.group(1)), int(found.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass
class ProviderPicture:
    provider_id: str
    region_code: str
    active_beds: int = 0
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MINIMUM_RULES, 0))
    alarms: int = 0
    alarms_on_time: int = 0
    satisfaction_average: float | None = None
    satisfaction_answers: int = 0
    reports_expected: int = 0
    reports_on_time: int = 0

    @property
    def alarms_late(self) -> int:
        return self.alarms - self.alarms_on_time


@dataclass
class OfficerPicture:
    region_code: str
    first: date
    last: date
    providers: list[ProviderPicture]
    # minutes from raise to arrival of every alarm that had an arrival, for the histogram
    arrival_minutes: list[float]
    # alarms still without an arrival at the end of the month
    alarms_never_reached: int

    @property
    def month(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def active_beds(self) -> int:
        return sum(p.active_beds for p in self.providers)

    @property
    def alarms(self) -> int:
        return sum(p.alarms for p in self.providers)

    @property
    def alarm_compliance(self) -> float | None:
        return _share(sum(p.alarms_on_time for p in self.providers), self.alarms)

    @property
    def breaches(self) -> dict[str, int]:
        return {
            rule: sum(p.breaches.get(rule, 0) for p in self.providers) for rule in MINIMUM_RULES
        }

    @property
    def satisfaction_average(self) -> float | None:
        answers = sum(p.satisfaction_answers for p in self.providers)
        if not answers:
            return None
        total = sum(
            (p.satisfaction_average or 0.0) * p.satisfaction_answers for p in self.providers
        )
        return round(total / answers, 1)

    @property
    def report_timeliness(self) -> float | None:
        return _share(
            sum(p.reports_on_time for p in self.providers),
            sum(p.reports_expected for p in self.providers),
        )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def arrival_minutes(raised_at_s: float, arrived_at_s: float) -> float:
    return max(0.0, (arrived_at_s - raised_at_s) / 60.0)
