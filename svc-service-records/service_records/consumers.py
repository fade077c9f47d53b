"""Kafka handlers: `TOPIC_HANDLERS = {topic: handler}`; each decodes and calls one use case.

The runner commits the handler's writes with the `processed_events` row, then the offset.
"""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BED_EVENTS, BedEvent
from homebed_schemas.events.iot import ALARM_EVENTS
from homebed_schemas.topics import INTAKE_BEDS, IOT_ALARMS
from service_records.schemas.inbound import AlarmNotice
from service_records.service.alarms import on_alarm_event
from service_records.service.plan import on_bed_event

HANDLED_BED_EVENTS = frozenset(BED_EVENTS)
HANDLED_ALARM_EVENTS = frozenset(ALARM_EVENTS)


async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Every bed lifecycle event updates the roster and replans the bed's tasks; other types are
    ignored (tolerant reader)."""
    if envelope.type not in HANDLED_BED_EVENTS:
        return
    event = decode_payload(envelope, BedEvent)
    await on_bed_event(uow=uow, type_=envelope.type, event=event)


async def handle_alarm_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Every alarm event goes into the bed's archive; `alarm.resolved` also sends a survey.
    Unknown types are ignored (tolerant reader)."""
    if envelope.type not in HANDLED_ALARM_EVENTS:
        return
    alarm = decode_payload(envelope, AlarmNotice)
    await on_alarm_event(uow=uow, type_=envelope.type, alarm=alarm)


TOPIC_HANDLERS: dict[str, Handler] = {
    INTAKE_BEDS.name: handle_bed_event,
    IOT_ALARMS.name: handle_alarm_event,
}
