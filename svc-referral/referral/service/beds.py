"""The beds referral may send from: a projection of `intake.beds.v1` (ids, provider, region,
status, the applicant's login), enough to route and check visibility; no PII."""

from __future__ import annotations

from datetime import datetime

from chassis.db import UnitOfWork
from homebed_schemas.events.intake import BedEvent
from referral.repository import BedRepository
from referral.tables import BedRow


async def on_bed_event(*, uow: UnitOfWork, event: BedEvent, at: datetime) -> None:
    """Upsert the bed as the event describes it (the runner commits with the dedupe row)."""
    beds = uow.repo(BedRepository)
    row = await beds.get(event.bed_id)
    if row is None:
        row = BedRow(bed_id=event.bed_id)
        beds.add(row)
    elif row.updated_at > at:
        return  # an older event arriving late
    row.elder_id = event.elder_id
    row.provider_id = event.provider_id
    row.jurisdiction = event.jurisdiction
    row.region_code = event.region_code
    row.status = event.status
    row.applicant_sub = event.applicant_sub
    row.updated_at = at
