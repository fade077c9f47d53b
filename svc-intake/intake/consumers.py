"""Kafka handlers: `TOPIC_HANDLERS = {topic: handler}`; each decodes and calls one use case.

The runner applies each event once (processed_events) and commits with the handler's writes.
"""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import DeviceEvent
from homebed_schemas.topics import IOT_DEVICES
from intake.service.devices import device_registered, device_removed

HANDLED = ("device.registered", "device.removed")


async def handle_device_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """device.registered confirms smart-device entries; device.removed withdraws that."""
    if envelope.type not in HANDLED:
        return  # online/offline are iot-ingest's business
    event = decode_payload(envelope, DeviceEvent)
    if envelope.type == "device.registered":
        await device_registered(uow=uow, event=event)
    else:
        await device_removed(uow=uow, event=event)


TOPIC_HANDLERS: dict[str, Handler] = {IOT_DEVICES.name: handle_device_event}
