"""DTOs of the people-facing API: inputs on `chassis.dto.Input`, answers on `Output`.

Every field of an answer is listed; lists answer `Page[...]` (`items`, `total`, `limit`,
`offset`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from chassis.dto import Input, Output
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.alarms.escalation import Milestone
from iot_ingest.domain.alarms.lifecycle import AlarmOutcome


class DeviceCreate(Input):
    bed_id: str = Field(min_length=1, max_length=64)
    device_type: DeviceType
    serial: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")


class DeviceRead(Output):
    device_id: str
    provider_id: str
    bed_id: str
    device_type: DeviceType
    serial: str
    status: str
    registered_at: datetime
    registered_by: str
    last_seen_at: datetime | None
    online: bool


class DeviceWithToken(DeviceRead):
    token: str = Field(description="shown once; store it on the device")


class AlarmDispatch(Input):
    assignee: str = Field(min_length=1, max_length=200)


class AlarmResolve(Input):
    outcome: AlarmOutcome
    note: str | None = Field(default=None, max_length=2000)


class CommentCreate(Input):
    text: str = Field(min_length=1, max_length=2000)


class CommentRead(Output):
    by: str
    at: datetime
    text: str


class AlarmRead(Output):
    alarm_id: str
    bed_id: str
    provider_id: str
    alarm_type: str
    severity: str
    status: str
    count: int
    raised_at: datetime
    last_raised_at: datetime | None
    arrival_deadline: datetime
    device_id: str | None
    rule_id: str | None
    detail: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    assignee: str | None
    dispatched_at: datetime | None
    arrived_by: str | None
    arrived_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    outcome: str | None
    note: str | None
    condition_cleared_at: datetime | None
    escalation_level: int
    sla_breached: bool
    allowed_actions: list[str]


class AlarmDetail(AlarmRead):
    comments: list[CommentRead]


class EscalationStepIn(Input):
    level: int = Field(ge=1, le=20)
    unmet: Milestone
    after_seconds: float = Field(gt=0, le=24 * 3600)
    notify: str = Field(min_length=1, max_length=100)


class EscalationPolicyUpdate(Input):
    steps: list[EscalationStepIn] = Field(max_length=20)


class EscalationStepRead(Output):
    level: int
    unmet: Milestone
    after_seconds: float
    notify: str


class EscalationPolicyRead(Output):
    provider_id: str
    steps: list[EscalationStepRead]


class LatestValueRead(Output):
    device_id: str
    metric: str
    value: float
    ts: datetime
    seq: int


class MinuteAggregateRead(Output):
    minute: datetime
    count: int
    mean: float | None
    min: float
    max: float
