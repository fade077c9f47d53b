"""The visit plan: recurring plan items a provider admin adds, and the tasks planned."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from chassis.dto import Input, Output


class PlanItemCreate(Input):
    item_code: str = Field(min_length=1, max_length=64, description="a catalogue item code")
    every_days: int = Field(default=1, ge=1, le=366, description="daily 1, weekly 7, every N days")
    anchor: date | None = Field(default=None, description="first day; defaults to today")
    due_time: str = Field(default="10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    before_minutes: int = Field(default=120, ge=0, le=24 * 60)
    after_minutes: int = Field(default=240, ge=0, le=24 * 60)


class PlanItemRead(Output):
    id: str
    bed_id: str
    item_code: str
    every_days: int
    anchor: date
    due_time: str
    before_minutes: int
    after_minutes: int
    active: bool
    created_at: datetime


class TaskAssign(Input):
    worker_id: str | None = Field(max_length=36, description="None removes the assignee")


class TaskComplete(Input):
    note: str = Field(min_length=1, max_length=2000)


class TaskRead(Output):
    id: str
    bed_id: str
    provider_id: str
    kind: str
    plan_key: str
    item_code: str | None
    roles: list[str]
    day: date
    opens_at: datetime
    due_at: datetime
    closes_at: datetime
    status: str
    assignee_worker_id: str | None
    visit_id: str | None
    note: str | None
    allowed_actions: list[str]
