"""Beds as iot-ingest knows them, from `intake.beds.v1`: provider, region, whether active."""

from __future__ import annotations

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import BedEvent
from iot_ingest.domain.devices import KnownBed
from iot_ingest.repository.devices import BedRepository


async def bed_changed(*, uow: UnitOfWork, active: bool, event: BedEvent) -> None:
    """Keep the bed as of the event; an event older than the stored state changes nothing.

    Called by the consumer inside the runner's transaction (which commits it).
    """
    bed = KnownBed(
        bed_id=event.bed_id,
        provider_id=event.provider_id,
        region_code=event.region_code,
        status=event.status,
        active=active,
    )
    await uow.repo(BedRepository).save_unless_newer(bed, at=event.occurred_at)
