"""DTOs of the people-facing API: inputs on `chassis.dto.Input`, answers on `Output`.

Every field of an answer is listed; lists answer `Page[...]` (`items`, `total`, `limit`,
`offset`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, StrictBool

from chassis.dto import Input, Output
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.alarms.escalation import Milestone
from iot_ingest.domain.alarms.lifecycle import AlarmOutcome


class DeviceCreate(Input):
    bed_id: str = Field(min_length=1, max_length=64)
    device_type: DeviceType
    serial: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    location_label: str | None = Field(
        default=None, max_length=100, description="where in the home, e.g. 卧室 / bedroom"
    )
    lat: float | None = Field(default=None, ge=-90, le=90, description="installed location")
    lon: float | None = Field(default=None, ge=-180, le=180)


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
    location_label: str | None
    bed_status: str | None = Field(description="the bed's state from intake (suspended, ...)")
    bed_in_service: bool
    suspended: bool = Field(
        description="a consent the device needs is not in force (a camera without video "
        "consent, 000 §三(三)): its readings and events are refused until it is given again"
    )
    suspended_at: datetime | None = Field(description="when the consent stopped being in force")
    missing_consents: list[str] = Field(
        description="the consent scopes it waits for (`video_monitoring`); empty when not suspended"
    )


class DeviceWithToken(DeviceRead):
    token: str = Field(description="shown once; store it on the device")


class AlarmDispatch(Input):
    assignee: str = Field(
        min_length=1,
        max_length=200,
        description="an active worker of the provider (/v1/dispatch-workers)",
    )


class AlarmArrive(Input):
    """The check-in location, when the assignee's phone sends it."""

    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class BlockedActionRead(Output):
    action: str
    unmet: list[str]


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
    region_code: str | None
    elder_name_masked: str | None = Field(
        description="the elder's name, masked by intake (张**); null until intake told us"
    )
    address_masked: str | None = Field(
        description="the home's road and community with door numbers masked (梅园路 * 号 *** 室)"
    )
    device_location_label: str | None
    arrival_lat: float | None
    arrival_lon: float | None
    arrival_distance_m: float | None = Field(description="check-in to the bed's devices")
    close_requested_by: str | None
    close_confirmed_by: str | None
    allowed_actions: list[str] = Field(description="what the caller may do now")
    blocked_actions: list[BlockedActionRead] = Field(
        description="what the state allows but the caller may not do now, with what is unmet"
    )


class AlarmDetail(AlarmRead):
    comments: list[CommentRead]


class EscalationStepIn(Input):
    level: int = Field(ge=1, le=20)
    unmet: Milestone
    after_seconds: float = Field(gt=0, le=24 * 3600)
    notify: str = Field(min_length=1, max_length=100)


class EscalationPolicyUpdate(Input):
    steps: list[EscalationStepIn] = Field(max_length=20)
    reason: str = Field(min_length=3, max_length=500, description="why (audited)")


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


class WorkerUpdate(Input):
    display_name: str = Field(min_length=1, max_length=100)
    active: StrictBool = True  # 0/1 are not booleans: a client sending them gets a 422


class WorkerRead(Output):
    provider_id: str
    worker_id: str
    display_name: str
    active: bool
    updated_by: str
    updated_at: datetime


class MonitoringChangeRead(Output):
    id: int
    kind: str = Field(description="bed_rules | escalation_policy")
    provider_id: str
    bed_id: str | None
    region_code: str | None
    changed_by: str
    changed_at: datetime
    reason: str
    before: Any
    after: Any


class DisabledRulesRead(Output):
    bed_id: str
    provider_id: str
    region_code: str | None
    disabled: list[str]
    reason: str | None
    updated_by: str
    updated_at: datetime


class BedActivityRead(Output):
    status: str = Field(description="corroborated | no_activity | no_sensor")
    devices: list[str] = Field(description="presence-sensing devices of the bed")
    first_activity_at: datetime | None
    last_activity_at: datetime | None
