"""Progress against a bed target (001 §三, 002 §二, 003 §四.5): how many beds of the region were
established (and accepted) within the target's period, what remains, how long the period runs.

`days_left` counts the days after today up to the period's last day (0 once it has ended);
beds count toward the target when `counted_when` says (established by default: a bed is built
when it is established; acceptance is shown beside it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from intake.domain.profile_sections import BedTarget

PeriodStatus = Literal["upcoming", "running", "ended"]


@dataclass(frozen=True)
class BedCounts:
    established: int  # established within the period
    accepted: int  # accepted within the period
    live: int  # in service now (established, accepted or suspended)


@dataclass(frozen=True)
class TargetProgress:
    target: BedTarget
    counts: BedCounts
    counted: int
    remaining: int | None
    met: bool | None
    period_status: PeriodStatus
    days_left: int


def period_status(target: BedTarget, today: date) -> PeriodStatus:
    if today < target.start:
        return "upcoming"
    return "running" if today <= target.end else "ended"


def target_progress(target: BedTarget, counts: BedCounts, *, today: date) -> TargetProgress:
    counted = counts.established if target.counted_when == "established" else counts.accepted
    remaining = None if target.min_beds is None else max(0, target.min_beds - counted)
    return TargetProgress(
        target=target,
        counts=counts,
        counted=counted,
        remaining=remaining,
        met=None if remaining is None else remaining == 0,
        period_status=period_status(target, today),
        days_left=max(0, (target.end - today).days),
    )
