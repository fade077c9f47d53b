"""Kafka handlers of svc-reporting: the supervision read model. Unknown types are ignored."""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BED_EVENTS, BedEvent
from homebed_schemas.events.iot import AlarmEvent
from homebed_schemas.events.records import MinimumBreached, SurveyEvent, VisitEvent
from homebed_schemas.topics import INTAKE_BEDS, IOT_ALARMS, RECORDS_VISITS
from reporting.service import projections

VISIT_TYPES = {"visit.verified", "visit.corrected", "visit.voided"}
ALARM_TYPES = {"alarm.raised", "alarm.arrived", "alarm.sla_breached", "alarm.resolved"}


async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Every lifecycle event carries the bed's state: active beds per region and provider. Other
    `bed.*` types (consents, the acceptance workflow) carry other payloads and are ignored."""
    if envelope.type not in BED_EVENTS:
        return
    await projections.bed_changed(uow=uow, event=decode_payload(envelope, BedEvent))


async def handle_visit_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """minimum.breached and survey.answered; visits themselves are read at report time, their
    events only queue a correction when they change a day already pushed."""
    if envelope.type in VISIT_TYPES:
        await projections.visit_changed(uow=uow, event=decode_payload(envelope, VisitEvent))
    elif envelope.type == "minimum.breached":
        event = decode_payload(envelope, MinimumBreached)
        await projections.minimum_breached(uow=uow, event_id=str(envelope.id), event=event)
    elif envelope.type == "survey.answered":
        await projections.survey_answered(uow=uow, event=decode_payload(envelope, SurveyEvent))


async def handle_alarm_event(uow: UnitOfWork, envelope: Envelope) -> None:
    if envelope.type not in ALARM_TYPES:
        return
    event = decode_payload(envelope, AlarmEvent)
    await projections.alarm_changed(uow=uow, event_type=envelope.type, event=event)


TOPIC_HANDLERS: dict[str, Handler] = {
    INTAKE_BEDS.name: handle_bed_event,
    RECORDS_VISITS.name: handle_visit_event,
    IOT_ALARMS.name: handle_alarm_event,
}
