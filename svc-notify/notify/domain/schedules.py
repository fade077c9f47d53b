"""On-call schedules: an escalation names a role label (`duty_manager`); the schedule of the
provider for that role says who holds it now (a rotation, overridden for a stretch of time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chassis.errors import Unprocessable


@dataclass(frozen=True)
class Override:
    """Someone else holds the role from `starts_at` (inclusive) to `ends_at` (exclusive)."""

    person_id: str
    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise Unprocessable([("ends_at", "must be after starts_at")])

    def covers(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True)
class Rotation:
    """Members take turns of `shift` each, in order, from `starts_at` (a hand-over time)."""

    members: tuple[str, ...]
    starts_at: datetime
    shift: timedelta

    def __post_init__(self) -> None:
        problems: list[tuple[str, str]] = []
        if not self.members:
            problems.append(("members", "name at least one person"))
        if len(set(self.members)) != len(self.members):
            problems.append(("members", "each person once"))
        if self.shift < timedelta(hours=1) or self.shift > timedelta(days=31):
            problems.append(("shift_hours", "a shift lasts from 1 hour to 31 days"))
        if problems:
            raise Unprocessable(problems)

    def holder(self, now: datetime) -> str:
        turns = (now - self.starts_at) // self.shift  # floor: before the start counts backwards
        return self.members[turns % len(self.members)]


def on_call(rotation: Rotation, overrides: Sequence[Override], now: datetime) -> str:
    """Who holds the role at `now`: the latest-starting override covering it, else the rotation."""
    covering = [o for o in overrides if o.covers(now)]
    if covering:
        return max(covering, key=lambda o: o.starts_at).person_id
    return rotation.holder(now)
