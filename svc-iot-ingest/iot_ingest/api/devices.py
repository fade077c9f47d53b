"""Device registry routes (provider admins manage; staff read; ops everything)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from iot_ingest.api.components import components
from iot_ingest.schemas import DeviceCreate, DeviceRead, DeviceWithToken
from iot_ingest.service import devices

router = APIRouter(tags=["devices"])
MANAGE = problem_responses(401, 403, 404)


@router.post("/v1/devices", status_code=201, responses=problem_responses(401, 403, 404, 409, 422))
async def register_device(body: DeviceCreate, uow: UowDep, ctx: ContextDep) -> DeviceWithToken:
    return await devices.register_device(uow=uow, ctx=ctx, cmd=body)


@router.get("/v1/devices", responses=problem_responses(401, 403, 422))
async def list_devices(
    uow: UowDep, ctx: ContextDep, page: PageDep, bed_id: str | None = None
) -> Page[DeviceRead]:
    return await devices.list_devices(
        uow=uow, ctx=ctx, bed_id=bed_id, limit=page.limit, offset=page.offset
    )


@router.get("/v1/devices/{device_id}", responses=MANAGE)
async def get_device(device_id: str, uow: UowDep, ctx: ContextDep) -> DeviceRead:
    return await devices.get_device(uow=uow, ctx=ctx, device_id=device_id)


@router.post("/v1/devices/{device_id}/rotate-token", responses=MANAGE)
async def rotate_token(
    device_id: str, request: Request, uow: UowDep, ctx: ContextDep
) -> DeviceWithToken:
    forget = components(request).lane.forget_device
    return await devices.rotate_token(uow=uow, ctx=ctx, device_id=device_id, forget=forget)


@router.post("/v1/devices/{device_id}/revoke", responses=MANAGE)
async def revoke(device_id: str, request: Request, uow: UowDep, ctx: ContextDep) -> DeviceRead:
    forget = components(request).lane.forget_device
    return await devices.revoke_device(uow=uow, ctx=ctx, device_id=device_id, forget=forget)


@router.delete("/v1/devices/{device_id}", status_code=204, responses=MANAGE)
async def remove(device_id: str, request: Request, uow: UowDep, ctx: ContextDep) -> None:
    forget = components(request).lane.forget_device
    await devices.remove_device(uow=uow, ctx=ctx, device_id=device_id, forget=forget)
