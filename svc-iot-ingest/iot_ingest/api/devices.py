"""Device registry routes (provider admins; ops may read and manage every provider's)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chassis.api import PrincipalDep, UowDep
from iot_ingest.access import provider_scope
from iot_ingest.api.components import components
from iot_ingest.api.schemas import DeviceCreate, DeviceRead, DeviceWithToken
from iot_ingest.registry import devices as registry
from iot_ingest.registry.devices import DeviceRecord

router = APIRouter(tags=["devices"])


def _read(record: DeviceRecord) -> DeviceRead:
    return DeviceRead(
        device_id=record.device_id,
        provider_id=record.provider_id,
        bed_id=record.bed_id,
        device_type=record.device_type,
        serial=record.serial,
        status=record.status,
        registered_at=record.registered_at,
        registered_by=record.registered_by,
        last_seen_at=record.last_seen_at,
        online=record.online,
    )


def _with_token(record: DeviceRecord, token: str) -> DeviceWithToken:
    return DeviceWithToken(**_read(record).model_dump(), token=token)


@router.post("/v1/devices", status_code=201)
async def register_device(
    body: DeviceCreate, uow: UowDep, principal: PrincipalDep
) -> DeviceWithToken:
    record, token = await registry.register_device(
        uow=uow,
        scope=provider_scope(principal, admin_only=True),
        actor=principal.sub,
        bed_id=body.bed_id,
        device_type=body.device_type,
        serial=body.serial,
    )
    return _with_token(record, token)


@router.get("/v1/devices")
async def list_devices(
    uow: UowDep, principal: PrincipalDep, bed_id: str | None = None
) -> list[DeviceRead]:
    found = await registry.list_devices(uow=uow, scope=provider_scope(principal), bed_id=bed_id)
    return [_read(r) for r in found]


@router.get("/v1/devices/{device_id}")
async def get_device(device_id: str, uow: UowDep, principal: PrincipalDep) -> DeviceRead:
    record = await registry.get_device(
        uow=uow, scope=provider_scope(principal), device_id=device_id
    )
    return _read(record)


@router.post("/v1/devices/{device_id}/rotate-token")
async def rotate_token(
    device_id: str, request: Request, uow: UowDep, principal: PrincipalDep
) -> DeviceWithToken:
    record, token = await registry.rotate_token(
        uow=uow, scope=provider_scope(principal, admin_only=True), device_id=device_id
    )
    components(request).lane.forget_device(device_id)
    return _with_token(record, token)


@router.post("/v1/devices/{device_id}/revoke")
async def revoke(
    device_id: str, request: Request, uow: UowDep, principal: PrincipalDep
) -> DeviceRead:
    record = await registry.revoke_device(
        uow=uow, scope=provider_scope(principal, admin_only=True), device_id=device_id
    )
    components(request).lane.forget_device(device_id)
    return _read(record)


@router.delete("/v1/devices/{device_id}", status_code=204)
async def remove(device_id: str, request: Request, uow: UowDep, principal: PrincipalDep) -> None:
    await registry.remove_device(
        uow=uow, scope=provider_scope(principal, admin_only=True), device_id=device_id
    )
    components(request).lane.forget_device(device_id)
