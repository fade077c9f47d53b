"""Devices and the beds they join: rows <-> `Device` / `KnownBed`; never commits."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import upsert
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.devices import Device, DeviceStatus, KnownBed
from iot_ingest.tables import beds, devices
from iot_ingest.telemetry.cache_invalidation import announce_devices


class DuplicateSerial(Exception):
    """Another device of this type has the serial."""


def device_from_row(row: Any) -> Device:
    m = row._mapping
    return Device(
        device_id=m["device_id"],
        provider_id=m["provider_id"],
        bed_id=m["bed_id"],
        device_type=DeviceType(m["device_type"]),
        serial=m["serial"],
        status=DeviceStatus(m["status"]),
        registered_at=m["registered_at"],
        registered_by=m["registered_by"],
        last_seen_at=m["last_seen_at"],
        online=bool(m["online"]),
        location_label=m["location_label"],
        lat=m["lat"],
        lon=m["lon"],
        suspended_at=m["suspended_at"],
        suspended_for=m["suspended_for"],
    )


_BED = select(beds).where(beds.c.bed_id == bindparam("bed_id"))  # built once: the alarm lane's


class BedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, bed_id: str) -> KnownBed | None:
        row = (await self.session.execute(_BED, {"bed_id": bed_id})).first()
        if row is None:
            return None
        return KnownBed(
            bed_id=row.bed_id,
            provider_id=row.provider_id,
            region_code=row.region_code,
            status=row.status,
            active=bool(row.active),
            elder_name_masked=row.elder_name_masked,
            address_masked=row.address_masked,
        )

    async def elders(self, bed_ids: Collection[str]) -> dict[str, tuple[str | None, str | None]]:
        """(masked name, masked address) of each known bed: what an alarm shows of the elder."""
        if not bed_ids:
            return {}
        rows = (
            await self.session.execute(
                select(beds.c.bed_id, beds.c.elder_name_masked, beds.c.address_masked).where(
                    beds.c.bed_id.in_(list(bed_ids))
                )
            )
        ).all()
        return {r.bed_id: (r.elder_name_masked, r.address_masked) for r in rows}

    async def statuses(self, bed_ids: Collection[str]) -> dict[str, tuple[str, bool]]:
        """(status, active) of each known bed."""
        if not bed_ids:
            return {}
        rows = (
            await self.session.execute(
                select(beds.c.bed_id, beds.c.status, beds.c.active).where(
                    beds.c.bed_id.in_(list(bed_ids))
                )
            )
        ).all()
        return {r.bed_id: (r.status, bool(r.active)) for r in rows}

    async def provider_of(self, bed_id: str) -> str | None:
        provider: str | None = await self.session.scalar(
            select(beds.c.provider_id).where(beds.c.bed_id == bed_id)
        )
        return provider

    async def save_unless_newer(self, bed: KnownBed, *, at: datetime) -> None:
        """Store the bed as of `at`; a stored state newer than `at` is kept (late events). The
        masked name and address are only replaced by an event that carries them."""
        values: dict[str, Any] = {
            "bed_id": bed.bed_id,
            "provider_id": bed.provider_id,
            "region_code": bed.region_code,
            "status": bed.status,
            "active": bed.active,
            "updated_at": at.astimezone(UTC),
        }
        if bed.elder_name_masked is not None:
            values["elder_name_masked"] = bed.elder_name_masked
        if bed.address_masked is not None:
            values["address_masked"] = bed.address_masked
        await upsert(self.session, beds, [values], keys=["bed_id"], unless_newer="updated_at")


class DeviceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, device_id: str) -> Device | None:
        row = (
            await self.session.execute(select(devices).where(devices.c.device_id == device_id))
        ).first()
        return None if row is None else device_from_row(row)

    async def add(self, device: Device, *, token_hash: str) -> None:
        """Insert a new device; `DuplicateSerial` (transaction unusable) when the serial is taken."""
        try:
            await self.session.execute(
                devices.insert().values(
                    device_id=device.device_id,
                    provider_id=device.provider_id,
                    bed_id=device.bed_id,
                    device_type=device.device_type.value,
                    serial=device.serial,
                    token_hash=token_hash,
                    status=device.status.value,
                    registered_at=device.registered_at,
                    registered_by=device.registered_by,
                    last_seq=-1,
                    online=device.online,
                    location_label=device.location_label,
                    lat=device.lat,
                    lon=device.lon,
                )
            )
        except IntegrityError:
            raise DuplicateSerial(device.serial) from None

    async def set_token(self, device_id: str, *, token_hash: str, at: datetime) -> None:
        """A fresh token re-activates the device and starts a fresh seq numbering."""
        await self.session.execute(
            update(devices)
            .where(devices.c.device_id == device_id)
            .values(
                token_hash=token_hash,
                status=DeviceStatus.ACTIVE.value,
                token_rotated_at=at,
                last_seq=-1,
            )
        )
        await announce_devices(self.session, [device_id])

    async def set_status(self, device: Device, status: DeviceStatus) -> None:
        """Revoked and removed devices lose their token; a removed one frees its serial."""
        values: dict[str, Any] = {"token_hash": None, "status": status.value}
        if status is DeviceStatus.REMOVED:
            values["serial"] = f"{device.serial}#{device.device_id}"
        await self.session.execute(
            update(devices).where(devices.c.device_id == device.device_id).values(**values)
        )
        await announce_devices(self.session, [device.device_id])

    async def page(
        self, *, provider_id: str | None, bed_id: str | None, limit: int, offset: int
    ) -> tuple[list[Device], int]:
        """Registered (not removed) devices, oldest first, and how many match in all."""
        where = [devices.c.status != DeviceStatus.REMOVED.value]
        if provider_id is not None:
            where.append(devices.c.provider_id == provider_id)
        if bed_id is not None:
            where.append(devices.c.bed_id == bed_id)
        total = await self.session.scalar(select(func.count()).select_from(devices).where(*where))
        rows = (
            await self.session.execute(
                select(devices)
                .where(*where)
                .order_by(devices.c.registered_at, devices.c.device_id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return [device_from_row(r) for r in rows], int(total or 0)

    async def location_labels(self, device_ids: Collection[str]) -> dict[str, str]:
        """The location label of each of these devices that has one."""
        if not device_ids:
            return {}
        rows = (
            await self.session.execute(
                select(devices.c.device_id, devices.c.location_label).where(
                    devices.c.device_id.in_(list(device_ids)),
                    devices.c.location_label.is_not(None),
                )
            )
        ).all()
        return {r.device_id: r.location_label for r in rows}

    async def bed_location(self, bed_id: str) -> tuple[float, float] | None:
        """Where the bed is: the coordinates of one of its registered devices, if any has them."""
        row = (
            await self.session.execute(
                select(devices.c.lat, devices.c.lon)
                .where(
                    devices.c.bed_id == bed_id,
                    devices.c.status != DeviceStatus.REMOVED.value,
                    devices.c.lat.is_not(None),
                    devices.c.lon.is_not(None),
                )
                .order_by(devices.c.registered_at)
                .limit(1)
            )
        ).first()
        return None if row is None else (float(row.lat), float(row.lon))

    async def of_bed(self, bed_id: str, device_types: Collection[str]) -> list[Device]:
        """The bed's registered (not removed) devices of these types."""
        rows = (
            await self.session.execute(
                select(devices).where(
                    devices.c.bed_id == bed_id,
                    devices.c.status != DeviceStatus.REMOVED.value,
                    devices.c.device_type.in_(list(device_types)),
                )
            )
        ).all()
        return [device_from_row(r) for r in rows]

    async def active_with_last_heard(self) -> list[tuple[Device, datetime]]:
        """Active devices with when each was last heard from (registration if never)."""
        rows = (
            await self.session.execute(
                select(
                    devices,
                    func.coalesce(devices.c.last_seen_at, devices.c.registered_at).label("seen"),
                ).where(
                    devices.c.status == DeviceStatus.ACTIVE.value,
                    devices.c.suspended_for.is_(None),  # silent because we refuse its data
                )
            )
        ).all()
        return [(device_from_row(row), _aware(row.seen)) for row in rows]

    async def set_online(self, device_id: str, online: bool) -> None:
        await self.session.execute(
            update(devices).where(devices.c.device_id == device_id).values(online=online)
        )

    async def record_heard(
        self, *, seen: Mapping[str, datetime], seq_marks: Mapping[str, int]
    ) -> None:
        """last_seen_at and the seq high-water marks of many devices, in two statements."""
        if seen:
            await self.session.execute(
                update(devices)
                .where(devices.c.device_id == bindparam("d_id"))
                .values(last_seen_at=bindparam("seen_at")),
                [{"d_id": d, "seen_at": at} for d, at in seen.items()],
            )
        if seq_marks:
            await self.session.execute(
                update(devices)
                .where(
                    devices.c.device_id == bindparam("d_id"), devices.c.last_seq < bindparam("mark")
                )
                .values(last_seq=bindparam("mark")),
                [{"d_id": d, "mark": m} for d, m in seq_marks.items()],
            )

    async def hand_over_bed(self, bed_id: str, provider_id: str) -> int:
        """The bed's registered devices pass to `provider_id` (the bed moved, 001 §四(六)); removed
        ones stay with the provider that had them. Returns how many moved."""
        where = (
            devices.c.bed_id == bed_id,
            devices.c.provider_id != provider_id,
            devices.c.status != DeviceStatus.REMOVED.value,
        )
        ids = list(
            (await self.session.execute(select(devices.c.device_id).where(*where))).scalars()
        )
        if ids:
            await self.session.execute(
                update(devices).where(devices.c.device_id.in_(ids)).values(provider_id=provider_id)
            )
            await announce_devices(self.session, ids)
        return len(ids)

    async def suspend_for_consent(
        self, bed_id: str, scope: str, device_types: Collection[str], *, at: datetime
    ) -> list[str]:
        """Suspend the bed's registered devices of these types (a consent they need is no longer
        in force); returns the ids newly suspended."""
        where = (
            devices.c.bed_id == bed_id,
            devices.c.status != DeviceStatus.REMOVED.value,
            devices.c.device_type.in_(list(device_types)),
            devices.c.suspended_for.is_(None),
        )
        ids = list(
            (await self.session.execute(select(devices.c.device_id).where(*where))).scalars()
        )
        if ids:
            await self.session.execute(
                update(devices)
                .where(devices.c.device_id.in_(ids))
                .values(suspended_for=scope, suspended_at=at)
            )
            await announce_devices(self.session, ids)
        return ids

    async def resume_for_consent(self, bed_id: str, scope: str) -> list[str]:
        """Lift the suspensions of the bed's devices for `scope` (the consent is in force again);
        returns the ids resumed."""
        where = (devices.c.bed_id == bed_id, devices.c.suspended_for == scope)
        ids = list(
            (await self.session.execute(select(devices.c.device_id).where(*where))).scalars()
        )
        if ids:
            await self.session.execute(
                update(devices)
                .where(devices.c.device_id.in_(ids))
                .values(suspended_for=None, suspended_at=None)
            )
            await announce_devices(self.session, ids)
        return ids


def _aware(value: datetime | str) -> datetime:
    # coalesce() loses the column type on SQLite, so the value may come back naive (UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
