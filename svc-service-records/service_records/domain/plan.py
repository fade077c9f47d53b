"""The visit plan (Community Health Toolkit style tasks): what is due at a bed, when, and the
window in which a verified visit completes it.

A plan line recurs every N days from an anchor date, is due at a Shanghai time of day and may be
done from `before` ahead of that time to `after` past it. Where a jurisdiction has service
minimums (001 §四(三)3: "每日上门服务不少于 1 次 … 每 2 周医护人员应该至少上门服务 1 次"), two lines
come from the profile itself: the daily on-site visit (window: the whole Shanghai day) and the
medic visit (window: each fixed 14-day period from the established date, shared/domain.md).

A task is `scheduled` → `completed` (a verified visit matched it) | `missed` (its window passed;
a later-verified visit inside the window still completes it) | `cancelled` (the bed was
suspended or ended before its window opened).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from chassis.clock import SHANGHAI
from service_records.domain.vocabulary import MEDIC_ROLES, VisitMode


class TaskKind(StrEnum):
    DAILY_VISIT = "daily_visit"  # 每日上门服务 (001 §四(三)3)
    MEDIC_VISIT = "medic_visit"  # 每 2 周医护人员上门 (001 §四(三)3)
    ITEM = "item"  # a recurring service item added by the provider admin
    FOLLOW_UP = "follow_up"  # a low satisfaction score to follow up (provider admin)


class TaskStatus(StrEnum):
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    MISSED = "missed"
    CANCELLED = "cancelled"


TASK_ACTIONS: dict[TaskStatus, tuple[str, ...]] = {
    TaskStatus.SCHEDULED: ("complete", "miss", "cancel", "assign"),
    TaskStatus.MISSED: ("complete",),
    TaskStatus.COMPLETED: (),
    TaskStatus.CANCELLED: (),
}


@dataclass(frozen=True)
class PlanLine:
    """One recurring line of a bed's plan. `roles`: who may do it (empty: anyone)."""

    key: str
    kind: TaskKind
    anchor: date
    every_days: int = 1
    due_time: time = time(10, 0)
    before: timedelta = timedelta(hours=10)
    after: timedelta = timedelta(hours=14)
    item_code: str | None = None
    roles: frozenset[str] = frozenset()
    whole_period: bool = False  # the window is the whole period (medic: 14 days)

    def __post_init__(self) -> None:
        if self.every_days < 1:
            raise ValueError("every_days is at least 1")
        if self.before < timedelta(0) or self.after < timedelta(0):
            raise ValueError("a window does not go backwards")


@dataclass(frozen=True)
class PlannedTask:
    key: str
    kind: TaskKind
    day: date  # the Shanghai date it is planned for (a period's first day)
    opens_at: datetime
    due_at: datetime
    closes_at: datetime
    item_code: str | None
    roles: frozenset[str]


def local(day: date, at: time = time(0, 0)) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI)


def minimum_lines(
    established_on: date, *, daily_visits: int, medic_period_days: int
) -> list[PlanLine]:
    """The daily visit and the medic visit of 001 §四(三)3 as plan lines."""
    lines = []
    if daily_visits > 0:
        lines.append(
            PlanLine(
                key="min:daily_visit",
                kind=TaskKind.DAILY_VISIT,
                anchor=established_on,
                due_time=time(12, 0),
                before=timedelta(hours=12),
                after=timedelta(hours=12),
            )
        )
    lines.append(
        PlanLine(
            key="min:medic_visit",
            kind=TaskKind.MEDIC_VISIT,
            anchor=established_on,
            every_days=medic_period_days,
            roles=MEDIC_ROLES,
            whole_period=True,
        )
    )
    return lines


def occurrences(
    line: PlanLine, first: date, last: date, active: Callable[[date], bool]
) -> list[PlannedTask]:
    """The line's tasks planned between `first` and `last` on days the bed is active.

    A whole-period line yields each period starting in [first, last] with an active day."""
    if last < first:
        return []
    offset = (first - line.anchor).days % line.every_days
    day = first if offset == 0 else first + timedelta(days=line.every_days - offset)
    day = max(day, line.anchor)
    found = []
    while day <= last:
        if line.whole_period:
            period = [day + timedelta(days=i) for i in range(line.every_days)]
            if any(active(d) for d in period):
                end = local(day + timedelta(days=line.every_days))
                found.append(_task(line, day, local(day), end, end))
        elif active(day):
            due = local(day, line.due_time)
            found.append(_task(line, day, due - line.before, due, due + line.after))
        day += timedelta(days=line.every_days)
    return found


def _task(
    line: PlanLine, day: date, opens: datetime, due: datetime, closes: datetime
) -> PlannedTask:
    return PlannedTask(
        key=line.key,
        kind=line.kind,
        day=day,
        opens_at=opens,
        due_at=due,
        closes_at=closes,
        item_code=line.item_code,
        roles=line.roles,
    )


def visit_matches(
    *,
    kind: TaskKind,
    item_code: str | None,
    roles: Collection[str],
    opens_at: datetime,
    closes_at: datetime,
    check_in_at: datetime,
    worker_role: str,
    mode: str,
    items: Collection[str],
) -> bool:
    """A verified visit completes a task when it starts inside the window, on site, by an allowed
    role, and (item lines) delivers the item."""
    if kind is TaskKind.FOLLOW_UP or mode != VisitMode.ON_SITE.value:
        return False
    if not (opens_at <= check_in_at < closes_at):
        return False
    if roles and worker_role not in roles:
        return False
    return item_code is None or item_code in items
