"""Beds as iot-ingest knows them: from `intake.beds.v1`. Devices may only join an active bed."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy import select

from chassis.db import UnitOfWork
from chassis.kafka.consumer import PoisonMessage
from chassis.upsert import upsert
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.intake import BedEvent
from iot_ingest.tables import beds

logger = logging.getLogger(__name__)

# A signed contract opens installation (001 §四(四)): devices may join before establishment.
ACTIVE_AFTER = {
    "bed.contracted": True,
    "bed.established": True,
    "bed.accepted": True,
    "bed.resumed": True,
}
INACTIVE_AFTER = {"bed.suspended": False, "bed.terminated": False, "bed.transferred": False}


async def apply_bed_event(uow: UnitOfWork, envelope: Envelope) -> None:
    """Consumer of intake.beds.v1: keep each bed's provider, region and whether it is active."""
    active = {**ACTIVE_AFTER, **INACTIVE_AFTER}.get(envelope.type)
    if active is None:
        # Tolerant reader: a bed event type added later says nothing about devices.
        logger.info("ignoring bed event type", extra={"event_type": envelope.type})
        return
    try:
        event = BedEvent.model_validate(envelope.data)
    except ValidationError as exc:
        raise PoisonMessage(f"invalid bed event: {exc.error_count()} error(s)") from exc
    values = {
        "bed_id": event.bed_id,
        "provider_id": event.provider_id,
        "region_code": event.region_code,
        "status": event.status,
        "active": active,
        "updated_at": event.occurred_at.astimezone(UTC),
    }
    await upsert(uow, beds, [values], keys=["bed_id"], unless_newer="updated_at")


async def find_bed(uow: UnitOfWork, bed_id: str) -> dict[str, object] | None:
    row = (await uow.session.execute(select(beds).where(beds.c.bed_id == bed_id))).first()
    return None if row is None else dict(row._mapping)


def now_utc() -> datetime:
    return datetime.now(UTC)
