"""Kafka handlers: `TOPIC_HANDLERS = {topic: handler}`; each decodes and calls one use case.
`iot.devices.v1` confirms installations, `iot.alarms.v1` feeds the bed alarm projection.

The runner applies each event once (processed_events) and commits with the handler's writes.
"""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent, DeviceEvent
from homebed_schemas.topics import IOT_ALARMS, IOT_DEVICES
from intake.service.bed_alarms import alarm_changed
from intake.service.devices import device_registered, device_removed

HANDLED = ("device.registered", "device.removed")
# The alarm events that change an alarm's status or assignee (each carries both); repeats,
# comments, escalations and the like change neither and are skipped.
ALARM_CHANGES = frozenset(
    f"alarm.{name}" for name in ("raised", "acknowledged", "dispatched", "arrived", "resolved")
)


async def handle_device_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """device.registered confirms smart-device entries; device.removed withdraws that."""
    if envelope.type not in HANDLED:
        return  # online/offline are iot-ingest's business
    event = decode_payload(envelope, DeviceEvent)
    if envelope.type == "device.registered":
        await device_registered(uow=uow, event=event)
    else:
        await device_removed(uow=uow, event=event)


async def handle_alarm_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """iot.alarms.v1: who is assigned to the open alarms of a bed (the emergency contact)."""
    if envelope.type not in ALARM_CHANGES:
        return
    await alarm_changed(uow=uow, event=decode_payload(envelope, AlarmEvent))


TOPIC_HANDLERS: dict[str, Handler] = {
    IOT_DEVICES.name: handle_device_event,
    IOT_ALARMS.name: handle_alarm_event,
}
