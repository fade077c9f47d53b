"""Device registry use cases: register (token shown once), rotate, revoke, remove, list, read.

`forget` drops the device from the telemetry lane's caches in this process, at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, NotFound
from iot_ingest.domain.consents import require_consents, requirements_of
from iot_ingest.domain.device_tokens import hash_token, new_device_token
from iot_ingest.domain.devices import Device, DeviceStatus
from iot_ingest.repository.consents import ConsentRepository
from iot_ingest.repository.devices import BedRepository, DeviceRepository, DuplicateSerial
from iot_ingest.schemas import DeviceCreate, DeviceRead, DeviceWithToken
from iot_ingest.service.access import provider_scope, require_admin, visible
from iot_ingest.service.events import emit_device_event

ForgetDevice = Callable[[str], None]


async def register_device(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: DeviceCreate
) -> DeviceWithToken:
    """Register a device on an active bed of the caller's provider; a camera only while the
    bed's video consent is in force (000 §三(三)); publishes device.registered."""
    scope = provider_scope(ctx.principal)
    token = new_device_token()
    async with uow:
        bed = await uow.repo(BedRepository).get(cmd.bed_id)
        if bed is None or not visible(scope, bed.provider_id):
            raise NotFound("Bed")
        require_admin(ctx.principal)
        if not bed.active:
            raise Conflict(
                f"Bed {bed.bed_id} is not in service ({bed.status}); devices join beds in service.",
                extra={"bed_status": bed.status},
            )
        needed = requirements_of(cmd.device_type)
        if needed:
            require_consents(
                action=f"register_{cmd.device_type.value}",
                needed=needed,
                decided=await uow.repo(ConsentRepository).of_bed(
                    bed.bed_id, [r.scope for r in needed]
                ),
            )
        device = Device(
            device_id=str(uuid.uuid4()),
            provider_id=bed.provider_id,
            bed_id=bed.bed_id,
            device_type=cmd.device_type,
            serial=cmd.serial,
            status=DeviceStatus.ACTIVE,
            registered_at=ctx.now,
            registered_by=ctx.principal.sub,
            last_seen_at=None,
            online=True,
            location_label=cmd.location_label,
            lat=cmd.lat,
            lon=cmd.lon,
        )
        try:
            await uow.repo(DeviceRepository).add(device, token_hash=hash_token(token))
        except DuplicateSerial:
            raise Conflict(
                f"A {cmd.device_type.value} with serial {cmd.serial} is registered."
            ) from None
        await emit_device_event(uow, device, "registered", ctx.now)
        await uow.commit()
        return with_token(device, token, (bed.status, bed.active))


async def rotate_token(
    *, uow: UnitOfWork, ctx: RequestContext, device_id: str, forget: ForgetDevice
) -> DeviceWithToken:
    """A new token replaces the old one at once (a revoked device is re-enabled this way)."""
    token = new_device_token()
    async with uow:
        device = await _managed_device(uow, ctx, device_id)
        await uow.repo(DeviceRepository).set_token(
            device_id, token_hash=hash_token(token), at=ctx.now
        )
        bed = await _bed_state(uow, device)
        await uow.commit()
    forget(device_id)
    return with_token(replace(device, status=DeviceStatus.ACTIVE), token, bed)


async def revoke_device(
    *, uow: UnitOfWork, ctx: RequestContext, device_id: str, forget: ForgetDevice
) -> DeviceRead:
    """The token stops working at once; the device stays registered (rotate to re-enable)."""
    async with uow:
        device = await _managed_device(uow, ctx, device_id)
        await uow.repo(DeviceRepository).set_status(device, DeviceStatus.REVOKED)
        bed = await _bed_state(uow, device)
        await uow.commit()
    forget(device_id)
    return device_read(replace(device, status=DeviceStatus.REVOKED), bed)


async def remove_device(
    *, uow: UnitOfWork, ctx: RequestContext, device_id: str, forget: ForgetDevice
) -> None:
    """The device leaves the bed (its serial is free again); publishes device.removed."""
    async with uow:
        device = await _managed_device(uow, ctx, device_id)
        await uow.repo(DeviceRepository).set_status(device, DeviceStatus.REMOVED)
        await emit_device_event(uow, device, "removed", ctx.now)
        await uow.commit()
    forget(device_id)


async def list_devices(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str | None, limit: int, offset: int
) -> Page[DeviceRead]:
    """Registered devices of the caller's provider (ops: all), oldest first."""
    scope = provider_scope(ctx.principal)
    async with uow:
        found, total = await uow.repo(DeviceRepository).page(
            provider_id=scope, bed_id=bed_id, limit=limit, offset=offset
        )
        beds = await uow.repo(BedRepository).statuses({d.bed_id for d in found})
        items = [device_read(d, beds.get(d.bed_id)) for d in found]
        return Page(items=items, total=total, limit=limit, offset=offset)


async def get_device(*, uow: UnitOfWork, ctx: RequestContext, device_id: str) -> DeviceRead:
    """One registered device."""
    async with uow:
        device = await _visible_device(uow, ctx, device_id)
        return device_read(device, await _bed_state(uow, device))


async def _bed_state(uow: UnitOfWork, device: Device) -> tuple[str, bool] | None:
    return (await uow.repo(BedRepository).statuses([device.bed_id])).get(device.bed_id)


async def _visible_device(uow: UnitOfWork, ctx: RequestContext, device_id: str) -> Device:
    scope = provider_scope(ctx.principal)
    device = await uow.repo(DeviceRepository).get(device_id)
    if device is None or device.status is DeviceStatus.REMOVED:
        raise NotFound("Device")
    if not visible(scope, device.provider_id):
        raise NotFound("Device")
    return device


async def _managed_device(uow: UnitOfWork, ctx: RequestContext, device_id: str) -> Device:
    device = await _visible_device(uow, ctx, device_id)
    require_admin(ctx.principal)
    return device


def device_read(device: Device, bed: tuple[str, bool] | None) -> DeviceRead:
    """The device with its bed's state ((status, in service) from intake; None: unknown)."""
    return DeviceRead(
        device_id=device.device_id,
        provider_id=device.provider_id,
        bed_id=device.bed_id,
        device_type=device.device_type,
        serial=device.serial,
        status=device.status.value,
        registered_at=device.registered_at,
        registered_by=device.registered_by,
        last_seen_at=device.last_seen_at,
        online=device.online,
        location_label=device.location_label,
        bed_status=bed[0] if bed else None,
        bed_in_service=bed[1] if bed else False,
        suspended=device.suspended,
        suspended_at=device.suspended_at,
        missing_consents=[device.suspended_for] if device.suspended_for else [],
    )


def with_token(device: Device, token: str, bed: tuple[str, bool] | None) -> DeviceWithToken:
    return DeviceWithToken(**device_read(device, bed).model_dump(), token=token)
