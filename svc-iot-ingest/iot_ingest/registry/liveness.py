"""Device liveness: the telemetry lane notes when each device was heard from (flushed in bulk),
and a periodic check publishes device.offline / device.online (heartbeat timeout per type)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, func, select, update

from chassis.db import UnitOfWork
from chassis.write_lock import serialized_writes
from homebed_schemas.events.iot import DeviceType
from homebed_schemas.topics import IOT_DEVICES
from iot_ingest.domain.rules.liveness import Connectivity, DeviceLiveness, reconcile
from iot_ingest.metrics import DEVICE_CONNECTIVITY, SERVICE
from iot_ingest.registry.devices import DeviceRecord, device_envelope
from iot_ingest.tables import devices


async def flush_seen(
    uow: UnitOfWork, *, seen: dict[str, datetime], seq_marks: dict[str, int]
) -> None:
    """Write last_seen_at and the seq high-water marks of many devices in two statements."""
    if seen:
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == bindparam("d_id"))
            .values(last_seen_at=bindparam("seen_at")),
            [{"d_id": d, "seen_at": at} for d, at in seen.items()],
        )
    if seq_marks:
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == bindparam("d_id"), devices.c.last_seq < bindparam("mark"))
            .values(last_seq=bindparam("mark")),
            [{"d_id": d, "mark": m} for d, m in seq_marks.items()],
        )


async def check_liveness(*, uow: UnitOfWork, now: datetime | None = None) -> list[tuple[str, str]]:
    """Publish offline/online changes; returns (device_id, change) pairs."""
    now = now or datetime.now(UTC)
    changes: list[tuple[str, str]] = []
    async with uow, serialized_writes(uow):
        rows = (
            await uow.session.execute(
                select(
                    devices,
                    func.coalesce(devices.c.last_seen_at, devices.c.registered_at).label("seen"),
                ).where(devices.c.status == "active")
            )
        ).all()
        for row in rows:
            state = DeviceLiveness(
                device_id=row.device_id,
                bed_id=row.bed_id,
                device_type=DeviceType(row.device_type),
                last_seen=_aware(row.seen),
                online=bool(row.online),
            )
            change = reconcile(state, now)
            if change is None:
                continue
            await uow.session.execute(
                update(devices)
                .where(devices.c.device_id == row.device_id)
                .values(online=change.change is Connectivity.ONLINE)
            )
            record = DeviceRecord.of(row)
            await uow.publish(
                topic=IOT_DEVICES.name,
                key=record.bed_id,
                event=device_envelope(
                    record, change.change.value, now, last_seen_at=change.last_seen
                ),
            )
            changes.append((row.device_id, change.change.value))
        await uow.commit()
    for _, change_name in changes:
        DEVICE_CONNECTIVITY.labels(SERVICE, change_name).inc()
    return changes


def _aware(value: datetime) -> datetime:
    # coalesce() loses the column type on SQLite, so the value may come back naive (UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
