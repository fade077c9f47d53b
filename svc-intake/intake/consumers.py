"""Kafka handlers: `topic_handlers(clock)` = {topic: handler}; each decodes and calls one use case.
`iot.devices.v1` confirms installations, `iot.alarms.v1` feeds the bed alarm projection,
`referral.referrals.v1` applies referrals to the bed.

The runner applies each event once (processed_events) and commits with the handler's writes.
The referral handler stamps what it changes with the injected clock (the time intake recorded
the change, which is what orders bed events and decides a late platform update), so the map is
built by the composition root with the runtime's clock.
"""

from __future__ import annotations

from functools import partial

from chassis.clock import Clock
from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent, DeviceEvent
from homebed_schemas.events.referral import REFERRAL_EVENTS, ReferralEvent
from homebed_schemas.topics import IOT_ALARMS, IOT_DEVICES, REFERRAL_REFERRALS
from intake.service.bed_alarms import alarm_changed
from intake.service.devices import device_registered, device_removed
from intake.service.referral_intake import referral_changed

HANDLED = ("device.registered", "device.removed")
# The alarm events that change an alarm's status or assignee (each carries both); repeats,
# comments, escalations and the like change neither and are skipped. handed_over: the bed moved
# to another provider (bed.provider_changed), a worker of the old one is released.
ALARM_CHANGES = frozenset(
    f"alarm.{name}"
    for name in ("raised", "acknowledged", "dispatched", "arrived", "resolved", "handed_over")
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


async def handle_referral_event(uow: UnitOfWork, envelope: Envelope, *, clock: Clock) -> None:
    """Every referral event is recorded; `completed` and `service_ended` may change the bed
    (转养 ends it, a family sickbed combines, a hospital stay suspends). Unknown types are ignored."""
    model = REFERRAL_EVENTS.get(envelope.type)
    if model is None:
        return  # tolerant reader
    event = decode_payload(envelope, model)
    assert isinstance(event, ReferralEvent)  # every referral payload model is one
    await referral_changed(uow=uow, event_type=envelope.type, event=event, now=clock())


def topic_handlers(clock: Clock) -> dict[str, Handler]:
    return {
        IOT_DEVICES.name: handle_device_event,
        IOT_ALARMS.name: handle_alarm_event,
        REFERRAL_REFERRALS.name: partial(handle_referral_event, clock=clock),
    }
