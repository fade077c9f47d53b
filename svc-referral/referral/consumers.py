"""Kafka handlers of svc-referral: `TOPIC_HANDLERS = {topic: handler}`.

intake.beds.v1 keeps the projection of beds a referral may leave from (visibility, region).
"""

from __future__ import annotations

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BED_EVENTS, BedEvent
from homebed_schemas.topics import INTAKE_BEDS
from referral.service.beds import on_bed_event

HANDLED_BED_EVENTS = frozenset(BED_EVENTS)


async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Every bed lifecycle event updates the projection; other types are ignored."""
    if envelope.type not in HANDLED_BED_EVENTS:
        return
    event = decode_payload(envelope, BedEvent)
    await on_bed_event(uow=uow, event=event, at=event.occurred_at)


TOPIC_HANDLERS: dict[str, Handler] = {INTAKE_BEDS.name: handle_bed_event}
