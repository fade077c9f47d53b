"""On-call schedules per provider and role label, with overrides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from chassis.api import UowDep
from chassis.problems import problem_responses
from notify.components import NotifyContextDep, components
from notify.schemas import OverrideCreate, ScheduleRead, ScheduleUpsert
from notify.service import schedules

router = APIRouter(prefix="/v1/on-call-schedules", tags=["on-call schedules"])
RolePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
ProviderQuery = Annotated[str | None, Query(max_length=64, description="ops only")]


@router.put("/{role}", responses=problem_responses(401, 403, 422))
async def put_schedule(
    role: RolePath, body: ScheduleUpsert, uow: UowDep, ctx: NotifyContextDep, request: Request
) -> ScheduleRead:
    done = await schedules.put_schedule(uow=uow, ctx=ctx, role=role, cmd=body)
    components(request).on_call.clear()  # the on-call resolution cache
    return done


@router.post("/{role}/overrides", status_code=201, responses=problem_responses(401, 403, 404, 422))
async def add_override(
    role: RolePath, body: OverrideCreate, uow: UowDep, ctx: NotifyContextDep, request: Request
) -> ScheduleRead:
    done = await schedules.add_override(uow=uow, ctx=ctx, role=role, cmd=body)
    components(request).on_call.clear()  # the on-call resolution cache
    return done


@router.get("/{role}", responses=problem_responses(401, 403, 404, 422))
async def get_schedule(
    role: RolePath, uow: UowDep, ctx: NotifyContextDep, provider_id: ProviderQuery = None
) -> ScheduleRead:
    return await schedules.get_schedule(uow=uow, ctx=ctx, role=role, provider_id=provider_id)


@router.get("", responses=problem_responses(401, 403, 422))
async def list_schedules(
    uow: UowDep, ctx: NotifyContextDep, provider_id: ProviderQuery = None
) -> list[ScheduleRead]:
    return await schedules.list_schedules(uow=uow, ctx=ctx, provider_id=provider_id)
