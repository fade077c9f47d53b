"""Kafka consumers of iot-ingest (chassis `ConsumerRunner`): `TOPIC_HANDLERS`.

The telemetry consumers (rule engine, storage) are batch consumers of their own (`streams/`).
"""

from __future__ import annotations

import logging

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import ConsentEvent
from homebed_schemas.events.intake import BedEvent
from homebed_schemas.topics import INTAKE_BEDS
from iot_ingest.domain.consents import CONSENT_EVENTS
from iot_ingest.domain.devices import PROVIDER_CHANGED, active_after, active_in
from iot_ingest.service import beds, consents

logger = logging.getLogger(__name__)


async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """intake.beds.v1: devices may join a contracted, established, accepted or resumed bed;
    an ended bed's alarms are closed; a bed moved to another provider takes its devices and
    open alarms along; consents decide whether a camera may join and be heard from."""
    if envelope.type in CONSENT_EVENTS:
        event = decode_payload(envelope, ConsentEvent)
        await consents.consent_changed(uow=uow, event_type=envelope.type, event=event)
        return
    if envelope.type == PROVIDER_CHANGED:
        bed_event = decode_payload(envelope, BedEvent)
        active = active_in(bed_event.status)  # the move changes the provider, not the state
        await beds.bed_changed(uow=uow, event_type=envelope.type, active=active, event=bed_event)
        return
    lifecycle_active = active_after(envelope.type)
    if lifecycle_active is None:
        # Tolerant reader: renewals, re-assessments, the acceptance workflow and types added
        # later say nothing about devices (their payloads may not even be a BedEvent).
        logger.info("ignoring bed event type", extra={"event_type": envelope.type})
        return
    bed_event = decode_payload(envelope, BedEvent)
    await beds.bed_changed(
        uow=uow, event_type=envelope.type, active=lifecycle_active, event=bed_event
    )


TOPIC_HANDLERS: dict[str, Handler] = {INTAKE_BEDS.name: handle_bed_event}
