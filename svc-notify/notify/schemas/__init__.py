"""DTOs of svc-notify: inputs on chassis.dto.Input (strict), answers on Output."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AnyHttpUrl, Field, StrictBool, StrictInt

from chassis.dto import Input, Output
from notify.domain.recipients import Channel, RecipientKind

ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])]
PersonId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
RegionCode = Annotated[str, Field(pattern=r"^\d{6,12}$")]
BedId = Annotated[str, Field(min_length=1, max_length=64)]


class QuietHoursIn(Input):
    start: ClockTime = Field(description="Asia/Shanghai time of day, HH:MM")
    end: ClockTime


class RecipientUpsert(Input):
    """A person notifications reach (PUT /v1/recipients/{person_id}); `person_id` is their
    login subject. Provider admins manage their provider's people; ops also officers."""

    kind: RecipientKind
    display_name: str = Field(min_length=1, max_length=100)
    provider_id: str | None = Field(
        default=None, max_length=64, description="ops only: the provider (officers: none)"
    )
    roles: list[Label] = Field(
        default_factory=list, max_length=20, description="role labels, e.g. caregiver"
    )
    region_codes: list[RegionCode] = Field(default_factory=list, max_length=50)
    bed_ids: list[BedId] = Field(
        default_factory=list, max_length=50, description="family: whose contact"
    )
    channels: list[Channel] = Field(
        min_length=1, max_length=4, description="in order of preference"
    )
    phone: str | None = Field(default=None, max_length=20, description="stored encrypted")
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: str | None = Field(default=None, min_length=16, max_length=200)
    quiet_hours: QuietHoursIn | None = None
    active: StrictBool = True


class QuietHoursRead(Output):
    start: str
    end: str


class RecipientRead(Output):
    person_id: str
    kind: str
    display_name: str
    provider_id: str | None
    roles: list[str]
    region_codes: list[str]
    bed_ids: list[str]
    channels: list[str]
    phone_masked: str | None = Field(description="138****5678; the number is never shown")
    webhook_url: str | None
    quiet_hours: QuietHoursRead | None
    active: bool


class ScheduleUpsert(Input):
    """PUT /v1/on-call-schedules/{role}: who holds the role label, in turns."""

    members: list[PersonId] = Field(min_length=1, max_length=50)
    starts_at: datetime = Field(description="a hand-over instant; turns count from it")
    shift_hours: StrictInt = Field(ge=1, le=744)
    provider_id: str | None = Field(default=None, max_length=64, description="ops only")


class OverrideCreate(Input):
    person_id: PersonId
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(min_length=1, max_length=200)


class OverrideRead(Output):
    person_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str


class ScheduleRead(Output):
    id: str
    provider_id: str
    role: str
    members: list[str]
    starts_at: datetime
    shift_hours: int
    on_call_now: str = Field(description="who holds the role at the time of the answer")
    overrides: list[OverrideRead] = Field(description="current and future overrides")


class InboxItem(Output):
    id: int
    subject: str
    title: str
    body: str
    safety: bool
    created_at: datetime
    read: bool


class InboxPage(Output):
    items: list[InboxItem]
    total: int
    limit: int
    offset: int
    unread: int = Field(description="unread messages of the person")


class AttemptRead(Output):
    channel: str
    ok: bool
    latency_ms: int
    error: str | None
    at: datetime


class DeliveryRead(Output):
    id: int
    subject: str
    event_type: str
    rule_id: str
    step: int
    repeat_no: int
    recipient_id: str
    recipient_label: str | None
    provider_id: str | None
    region_code: str | None
    safety: bool
    title: str
    body: str
    status: str
    channel_used: str | None
    created_at: datetime
    sent_at: datetime | None
    attempts: list[AttemptRead]
    last_error: str | None
    digest_id: int | None


class DeliveryPage(Output):
    items: list[DeliveryRead]
    total: int
    limit: int
    offset: int


class AlarmDeliveryRecord(Output):
    """Who was told what and when for one alarm, and who acknowledged."""

    alarm_id: str
    state: str | None = Field(description="open, acknowledged, closed; null: no chain")
    step: int | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    deliveries: list[DeliveryRead]


class SmsInbound(Input):
    """A reply forwarded by the SMS provider (signed with Standard Webhooks)."""

    from_: str = Field(alias="from", min_length=5, max_length=20)
    text: str = Field(min_length=1, max_length=500)
    received_at: datetime | None = None


class SmsInboundResult(Output):
    outcome: str = Field(
        description="acknowledged, already_acknowledged, no_open_alarm, unknown_sender"
    )
    alarm_id: str | None = None
