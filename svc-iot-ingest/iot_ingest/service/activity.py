"""Device corroboration of a home visit (svc-service-records asks, issue 12).

Presence-sensing devices of the catalogue (motion, door, mattress ...) saw activity in a window:
read from the minute aggregates (primary key `(bed_id, metric, minute)`: one index range scan
per metric), so the answer is fast whatever the telemetry volume.
"""

from __future__ import annotations

from datetime import datetime

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from chassis.principal import Role
from iot_ingest.domain.catalogue import PRESENCE_METRICS, presence_device_types
from iot_ingest.repository.devices import DeviceRepository
from iot_ingest.repository.monitoring import ReadingsRepository
from iot_ingest.schemas import BedActivityRead

# No service role exists in chassis.principal: services call with an OPS principal.
SERVICE_ROLE = Role.OPS


async def bed_activity(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, since: datetime, until: datetime
) -> BedActivityRead:
    """corroborated (activity seen), no_activity, or no_sensor (nothing could have seen it)."""
    require_role(ctx.principal, SERVICE_ROLE)
    if until <= since:
        raise Unprocessable.field("to", "to must be after from")
    async with uow:
        sensors = await uow.repo(DeviceRepository).of_bed(bed_id, presence_device_types())
        if not sensors:
            return BedActivityRead(
                status="no_sensor", devices=[], first_activity_at=None, last_activity_at=None
            )
        first, last = await uow.repo(ReadingsRepository).activity_between(
            bed_id, PRESENCE_METRICS, since=since, until=until
        )
    return BedActivityRead(
        status="no_activity" if first is None else "corroborated",
        devices=sorted(d.device_id for d in sensors),
        first_activity_at=first,
        last_activity_at=last,
    )
