"""Request and response DTOs of the people-facing API (fields listed explicitly)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.alarms.escalation import Milestone
from iot_ingest.domain.alarms.lifecycle import AlarmOutcome


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bed_id: str = Field(min_length=1, max_length=64)
    device_type: DeviceType
    serial: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")


class DeviceRead(BaseModel):
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


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=200)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: AlarmOutcome
    note: str | None = Field(default=None, max_length=2000)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class CommentRead(BaseModel):
    by: str
    at: datetime
    text: str


class AlarmRead(BaseModel):
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
    allowed_next_steps: list[str]


class AlarmDetail(AlarmRead):
    comments: list[CommentRead]


class EscalationStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=20)
    unmet: Milestone
    after_seconds: float = Field(gt=0, le=24 * 3600)
    notify: str = Field(min_length=1, max_length=100)


class EscalationPolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[EscalationStepIn] = Field(max_length=20)
