"""Kafka handlers of svc-subsidy: entitlement facts from intake's beds and records' visits.

`topic_handlers(clock)` builds the map in the composition root (like intake): the fact history
stamps each event with the time subsidy recorded it, from the injected clock.
"""

from __future__ import annotations

from chassis.clock import Clock
from chassis.db import UnitOfWork
from chassis.kafka.consumer import Handler, decode_payload
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import AcceptanceEvent, ConsentEvent
from homebed_schemas.events.intake import BED_EVENTS, BedEvent
from homebed_schemas.events.records import VisitEvent
from homebed_schemas.topics import INTAKE_BEDS, RECORDS_VISITS
from subsidy.service import facts

VISIT_TYPES = ("visit.verified", "visit.corrected", "visit.voided")
CONSENT_TYPES = ("bed.consent_recorded", "bed.consent_withdrawn")


def topic_handlers(clock: Clock) -> dict[str, Handler]:
    async def handle_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
        """Lifecycle snapshots, the accepted investment list, home-modification consent."""
        if envelope.type in BED_EVENTS:
            event = decode_payload(envelope, BedEvent)
            await facts.bed_changed(uow=uow, envelope=envelope, event=event, now=clock())
        elif envelope.type == "bed.acceptance_approved":
            accepted = decode_payload(envelope, AcceptanceEvent)
            await facts.acceptance_approved(uow=uow, envelope=envelope, event=accepted, now=clock())
        elif envelope.type in CONSENT_TYPES:
            consent = decode_payload(envelope, ConsentEvent)
            await facts.consent_changed(uow=uow, envelope=envelope, event=consent, now=clock())
        # other types: tolerant reader

    async def handle_visit_event(uow: UnitOfWork, envelope: Envelope) -> None:
        """Verified visits and their value (vouchers are settled after service)."""
        if envelope.type not in VISIT_TYPES:
            return
        event = decode_payload(envelope, VisitEvent)
        await facts.visit_changed(uow=uow, envelope=envelope, event=event, now=clock())

    return {INTAKE_BEDS.name: handle_bed_event, RECORDS_VISITS.name: handle_visit_event}
