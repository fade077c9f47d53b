"""The platform update of a bed's end (001 §四(六)): "因签约服务对象住院、变更居住地、去世等原因，
服务无法继续开展的，……解除合同，并在 5 个工作日内对所在地区养老服务平台相关信息进行变更".

Intake records the end and its deadline (N working days after the contract's dissolution, on
the Chinese calendar); the regional platform learns of it from the T+1 report of the end's day
(its original, or the correction a late recording queues). The update is made when the platform
has taken a report of that day sent after the end was recorded; until then, past its deadline,
the end is overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class RecordedEnd:
    """A bed's end as the read model knows it."""

    provider_id: str
    ended_on: date  # the report day that carries the end
    recorded_at: datetime  # when intake recorded it (the event's time)
    update_deadline: date


def update_overdue(end: RecordedEnd, *, taken_at: Iterable[datetime], today: date) -> bool:
    """The deadline has passed (the deadline day itself still counts as on time) and no report of
    the end's day taken by the platform was sent after the end was recorded. `taken_at`: when the
    reports of that provider and day the platform took were sent."""
    if today <= end.update_deadline:
        return False
    return not any(sent >= end.recorded_at for sent in taken_at)
