"""Kafka consumers of iot-ingest (chassis `ConsumerRunner`): `TOPIC_HANDLERS`.

The telemetry consumers (rule engine, storage) are batch consumers of their own (`streams/`).
"""

from __future__ import annotations

import logging

from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BedEvent
from homebed_schemas.topics import INTAKE_BEDS
from iot_ingest.domain.devices import active_after
from iot_ingest.service import beds

logger = logging.getLogger(__name__)


async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """intake.beds.v1: devices may join a contracted, established, accepted or resumed bed;
    an ended bed's alarms are closed."""
    active = active_after(envelope.type)
    if active is None:
        # Tolerant reader: a bed event type added later says nothing about devices.
        logger.info("ignoring bed event type", extra={"event_type": envelope.type})
        return
    event = decode_payload(envelope, BedEvent)
    await beds.bed_changed(uow=uow, event_type=envelope.type, active=active, event=event)


TOPIC_HANDLERS: dict[str, Handler] = {INTAKE_BEDS.name: handle_bed_event}
