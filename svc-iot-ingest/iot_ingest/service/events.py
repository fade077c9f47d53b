"""The events iot-ingest publishes through the outbox (`uow.emit`: source = the service name)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chassis.db import UnitOfWork
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent, DeviceEvent
from homebed_schemas.topics import IOT_ALARMS, IOT_DEVICES
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmChange
from iot_ingest.domain.devices import Device


async def emit_alarm_change(uow: UnitOfWork, alarm: Alarm, change: AlarmChange) -> Envelope:
    """`alarm.<change>` on iot.alarms.v1 (keyed by bed); also the SSE feed's payload.

    Express: sent right after the commit by the transaction that made the change, not after the
    outbox relay's next round (a fall is the one message where seconds matter, 001 §四(三)2).
    """
    event = alarm_change_event(uow, alarm, change)
    await uow.publish(topic=IOT_ALARMS.name, key=alarm.bed_id, event=event, express=True)
    return event


def alarm_change_event(uow: UnitOfWork, alarm: Alarm, change: AlarmChange) -> Envelope:
    """The envelope of `alarm.<change>`, not staged yet (a sweep stages its events together
    with `uow.publish_many(..., express=True)`, keyed by bed as `emit_alarm_change`)."""
    payload = AlarmEvent(
        alarm_id=alarm.alarm_id,
        bed_id=alarm.bed_id,
        provider_id=alarm.provider_id,
        previous_provider_id=change.previous_provider_id,
        alarm_type=alarm.alarm_type,
        severity=alarm.severity,
        status=alarm.status.value,
        count=alarm.count,
        raised_at=alarm.raised_at,
        arrival_deadline=alarm.arrival_deadline,
        device_id=alarm.device_id,
        rule_id=alarm.rule_id,
        actor=change.actor,
        assignee=alarm.assignee,
        outcome=alarm.outcome.value if alarm.outcome else None,
        note=change.text,
        escalation_level=change.escalation_level,
        escalation_target=change.escalation_target,
        sla_breached=alarm.sla_breached,
        detail=alarm.detail,
        occurred_at=change.at,
    )
    return uow.events.build(
        type_=f"alarm.{change.kind.value}", subject=alarm.alarm_id, data=payload, time=change.at
    )


async def emit_device_event(
    uow: UnitOfWork, device: Device, kind: str, at: datetime, **extra: Any
) -> Envelope:
    """`device.<kind>` (registered, removed, offline, online) on iot.devices.v1, keyed by bed."""
    payload = DeviceEvent(
        device_id=device.device_id,
        bed_id=device.bed_id,
        provider_id=device.provider_id,
        device_type=device.device_type,
        serial=device.serial,
        occurred_at=at,
        **extra,
    )
    return await uow.emit(
        topic=IOT_DEVICES.name,
        key=device.bed_id,
        type_=f"device.{kind}",
        subject=device.device_id,
        data=payload,
        time=at,
    )
