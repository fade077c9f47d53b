"""Beds as iot-ingest knows them, from `intake.beds.v1`: provider, region, whether active, and
the elder's masked name and address that alarms show."""

from __future__ import annotations

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import BedEvent
from iot_ingest.domain.devices import ENDED, KnownBed
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.devices import BedRepository
from iot_ingest.service.alarm_changes import observe_metrics, record_changes
from iot_ingest.service.bed_handover import hand_over_bed


async def bed_changed(*, uow: UnitOfWork, event_type: str, active: bool, event: BedEvent) -> None:
    """Keep the bed as of the event; an event older than the stored state changes nothing.
    A bed that passed to another provider (`bed.provider_changed`, or any later event naming
    another provider) hands its devices and open alarms over to it. A bed that ended
    (terminated, transferred) has its open alarms, raised up to then, closed with outcome
    `closed_bed_ended`.

    Called by the consumer inside the runner's transaction (which commits it).
    """
    bed = KnownBed(
        bed_id=event.bed_id,
        provider_id=event.provider_id,
        region_code=event.region_code,
        status=event.status,
        active=active,
        elder_name_masked=event.elder_name_masked,
        address_masked=event.address_masked,
    )
    beds = uow.repo(BedRepository)
    before = await beds.provider_of(event.bed_id)
    await beds.save_unless_newer(bed, at=event.occurred_at)
    if before is not None and before != event.provider_id:
        owner = await beds.provider_of(event.bed_id)  # a newer state stored keeps its own
        if owner is not None and owner != before:
            await hand_over_bed(
                uow,
                bed_id=event.bed_id,
                previous_provider_id=before,
                provider_id=owner,
                at=event.occurred_at,
            )
    if event_type in ENDED:
        closed = []
        for alarm in await uow.repo(AlarmRepository).active_of_bed(
            event.bed_id, raised_until=event.occurred_at
        ):
            alarm.close_bed_ended(at=event.occurred_at, event_type=event_type)
            closed.append((alarm, await record_changes(uow, alarm)))
        for alarm, changes in closed:
            observe_metrics(alarm, changes)  # approximate if the runner's commit fails
