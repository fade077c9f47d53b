"""Device registry facts from iot-ingest: `device.registered` confirms a smart-device entry of
the installation checklist, `device.removed` withdraws the confirmation. Idempotent."""

from __future__ import annotations

import logging
from datetime import datetime

from chassis.db import UnitOfWork
from homebed_schemas.events.iot import DeviceEvent
from intake.repository import SqlRepository
from intake.tables import RegisteredDeviceRow

logger = logging.getLogger(__name__)


async def device_registered(*, uow: UnitOfWork, event: DeviceEvent) -> bool:
    """Record the device against its bed; False (and nothing stored) for an unknown bed."""
    repo = uow.repo(SqlRepository)
    if await repo.bed(event.bed_id) is None:
        logger.warning("device registered to an unknown bed", extra={"device_id": event.device_id})
        return False
    row = await repo.device(event.device_id)
    if row is None:
        repo.add(
            RegisteredDeviceRow(
                device_id=event.device_id,
                bed_id=event.bed_id,
                device_type=event.device_type.value,
                registered_at=event.occurred_at,
                removed_at=None,
            )
        )
    elif _newer(event.occurred_at, row.registered_at, row.removed_at):
        row.bed_id, row.device_type = event.bed_id, event.device_type.value
        row.registered_at, row.removed_at = event.occurred_at, None
    return True


async def device_removed(*, uow: UnitOfWork, event: DeviceEvent) -> None:
    """Withdraw the confirmation, unless a newer registration already replaced it."""
    row = await uow.repo(SqlRepository).device(event.device_id)
    if row is not None and event.occurred_at >= row.registered_at:
        row.removed_at = event.occurred_at


def _newer(at: datetime, registered_at: datetime, removed_at: datetime | None) -> bool:
    """Apply a registration only if it is newer than what we know (out-of-order delivery)."""
    latest = max(registered_at, removed_at) if removed_at else registered_at
    return at > latest
