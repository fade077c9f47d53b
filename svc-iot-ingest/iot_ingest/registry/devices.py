"""Device registry use cases: register (token shown once), rotate, revoke, remove, list."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import DeviceEvent, DeviceType
from homebed_schemas.topics import IOT_DEVICES
from iot_ingest.access import visible
from iot_ingest.errors import Conflict, NotFound
from iot_ingest.registry.beds import find_bed
from iot_ingest.registry.tokens import hash_token, new_device_token
from iot_ingest.tables import devices

SOURCE = "svc-iot-ingest"


class DeviceStatus:
    ACTIVE = "active"
    REVOKED = "revoked"
    REMOVED = "removed"


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    provider_id: str
    bed_id: str
    device_type: DeviceType
    serial: str
    status: str
    registered_at: datetime
    registered_by: str
    last_seen_at: datetime | None
    online: bool

    @classmethod
    def of(cls, row: Any) -> DeviceRecord:
        m = row._mapping
        return cls(
            device_id=m["device_id"],
            provider_id=m["provider_id"],
            bed_id=m["bed_id"],
            device_type=DeviceType(m["device_type"]),
            serial=m["serial"],
            status=m["status"],
            registered_at=m["registered_at"],
            registered_by=m["registered_by"],
            last_seen_at=m["last_seen_at"],
            online=bool(m["online"]),
        )


def device_envelope(record: DeviceRecord, kind: str, at: datetime, **extra: Any) -> Envelope:
    payload = DeviceEvent(
        device_id=record.device_id,
        bed_id=record.bed_id,
        provider_id=record.provider_id,
        device_type=record.device_type,
        serial=record.serial,
        occurred_at=at,
        **extra,
    )
    return Envelope(
        type=f"device.{kind}",
        source=SOURCE,
        subject=record.device_id,
        time=at,
        data=payload.model_dump(mode="json"),
    )


async def register_device(
    *,
    uow: UnitOfWork,
    scope: str | None,
    actor: str,
    bed_id: str,
    device_type: DeviceType,
    serial: str,
    now: datetime | None = None,
) -> tuple[DeviceRecord, str]:
    """Register a device on an active bed of the caller's provider; returns it and its token."""
    now = now or datetime.now(UTC)
    token = new_device_token()
    async with uow:
        bed = await find_bed(uow, bed_id)
        if bed is None or not visible(scope, str(bed["provider_id"])):
            raise NotFound("Bed not found.")
        if not bed["active"]:
            raise Conflict(
                f"Bed {bed_id} is not active ({bed['status']}); devices join active beds."
            )
        record = DeviceRecord(
            device_id=str(uuid.uuid4()),
            provider_id=str(bed["provider_id"]),
            bed_id=bed_id,
            device_type=device_type,
            serial=serial,
            status=DeviceStatus.ACTIVE,
            registered_at=now,
            registered_by=actor,
            last_seen_at=None,
            online=True,
        )
        try:
            await uow.session.execute(
                devices.insert().values(
                    device_id=record.device_id,
                    provider_id=record.provider_id,
                    bed_id=bed_id,
                    device_type=device_type.value,
                    serial=serial,
                    token_hash=hash_token(token),
                    status=DeviceStatus.ACTIVE,
                    registered_at=now,
                    registered_by=actor,
                    last_seq=-1,
                    online=True,
                )
            )
        except IntegrityError:
            raise Conflict(f"A {device_type.value} with serial {serial} is registered.") from None
        await uow.publish(
            topic=IOT_DEVICES.name, key=bed_id, event=device_envelope(record, "registered", now)
        )
        await uow.commit()
    return record, token


async def _load_visible(uow: UnitOfWork, scope: str | None, device_id: str) -> DeviceRecord:
    row = (
        await uow.session.execute(select(devices).where(devices.c.device_id == device_id))
    ).first()
    if row is None:
        raise NotFound("Device not found.")
    record = DeviceRecord.of(row)
    if not visible(scope, record.provider_id) or record.status == DeviceStatus.REMOVED:
        raise NotFound("Device not found.")
    return record


async def rotate_token(
    *, uow: UnitOfWork, scope: str | None, device_id: str, now: datetime | None = None
) -> tuple[DeviceRecord, str]:
    """A new token replaces the old one at once (a revoked device is re-enabled this way)."""
    now = now or datetime.now(UTC)
    token = new_device_token()
    async with uow:
        record = await _load_visible(uow, scope, device_id)
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id)
            .values(
                token_hash=hash_token(token),
                status=DeviceStatus.ACTIVE,
                token_rotated_at=now,
                last_seq=-1,  # a fresh token starts a fresh numbering
            )
        )
        await uow.commit()
    return replace(record, status=DeviceStatus.ACTIVE), token


async def revoke_device(*, uow: UnitOfWork, scope: str | None, device_id: str) -> DeviceRecord:
    """The token stops working at once; the device stays registered (rotate to re-enable)."""
    async with uow:
        record = await _load_visible(uow, scope, device_id)
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id)
            .values(token_hash=None, status=DeviceStatus.REVOKED)
        )
        await uow.commit()
    return replace(record, status=DeviceStatus.REVOKED)


async def remove_device(
    *, uow: UnitOfWork, scope: str | None, device_id: str, now: datetime | None = None
) -> DeviceRecord:
    now = now or datetime.now(UTC)
    async with uow:
        record = await _load_visible(uow, scope, device_id)
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id)
            .values(
                token_hash=None,
                status=DeviceStatus.REMOVED,
                serial=f"{record.serial}#{record.device_id}",
            )
        )
        await uow.publish(
            topic=IOT_DEVICES.name, key=record.bed_id, event=device_envelope(record, "removed", now)
        )
        await uow.commit()
    return record


async def list_devices(
    *, uow: UnitOfWork, scope: str | None, bed_id: str | None = None
) -> list[DeviceRecord]:
    async with uow:
        query = select(devices).where(devices.c.status != DeviceStatus.REMOVED)
        if scope is not None:
            query = query.where(devices.c.provider_id == scope)
        if bed_id is not None:
            query = query.where(devices.c.bed_id == bed_id)
        rows = (await uow.session.execute(query.order_by(devices.c.registered_at))).all()
    return [DeviceRecord.of(row) for row in rows]


async def get_device(*, uow: UnitOfWork, scope: str | None, device_id: str) -> DeviceRecord:
    async with uow:
        return await _load_visible(uow, scope, device_id)
