"""Alarm routes for caregivers and managers, scoped to the principal's provider."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from iot_ingest.domain.alarms.lifecycle import AlarmAction
from iot_ingest.repository.alarms import AlarmFilter
from iot_ingest.schemas import (
    AlarmArrive,
    AlarmDetail,
    AlarmDispatch,
    AlarmRead,
    AlarmResolve,
    CommentCreate,
    CommentRead,
)
from iot_ingest.service import alarms

router = APIRouter(tags=["alarms"])
READ = problem_responses(401, 403, 404)
CHANGE = problem_responses(401, 403, 404, 409, 422)


@router.get("/v1/alarms", responses=problem_responses(401, 403, 422))
async def list_alarms(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[list[str] | None, Query()] = None,
    bed_id: str | None = None,
    alarm_type: str | None = None,
    active: bool = False,
    sla_breached: bool | None = None,
    raised_before: datetime | None = None,
    assignee: Annotated[
        str | None, Query(description="`me`: the caller's own alarms; or a worker id")
    ] = None,
) -> Page[AlarmRead]:
    alarm_filter = AlarmFilter(
        provider_id=None,  # the use case scopes it to the caller's provider
        status=tuple(status or ()),
        bed_id=bed_id,
        alarm_type=alarm_type,
        active_only=active,
        sla_breached=sla_breached,
        raised_before=raised_before,
        assignee=assignee,
    )
    return await alarms.list_alarms(
        uow=uow, ctx=ctx, alarm_filter=alarm_filter, limit=page.limit, offset=page.offset
    )


@router.get("/v1/alarms/{alarm_id}", responses=READ)
async def get_alarm(alarm_id: str, uow: UowDep, ctx: ContextDep) -> AlarmDetail:
    return await alarms.get_alarm(uow=uow, ctx=ctx, alarm_id=alarm_id)


@router.post("/v1/alarms/{alarm_id}/acknowledge", responses=CHANGE)
async def acknowledge(alarm_id: str, uow: UowDep, ctx: ContextDep) -> AlarmRead:
    return await alarms.change_alarm(
        uow=uow, ctx=ctx, alarm_id=alarm_id, action=AlarmAction.ACKNOWLEDGE
    )


@router.post("/v1/alarms/{alarm_id}/dispatch", responses=CHANGE)
async def dispatch(alarm_id: str, body: AlarmDispatch, uow: UowDep, ctx: ContextDep) -> AlarmRead:
    return await alarms.change_alarm(
        uow=uow, ctx=ctx, alarm_id=alarm_id, action=AlarmAction.DISPATCH, cmd=body
    )


@router.post("/v1/alarms/{alarm_id}/arrive", responses=CHANGE)
async def arrive(
    alarm_id: str, uow: UowDep, ctx: ContextDep, body: AlarmArrive | None = None
) -> AlarmRead:
    return await alarms.change_alarm(
        uow=uow, ctx=ctx, alarm_id=alarm_id, action=AlarmAction.ARRIVE, cmd=body or AlarmArrive()
    )


@router.post("/v1/alarms/{alarm_id}/resolve", responses=CHANGE)
async def resolve(alarm_id: str, body: AlarmResolve, uow: UowDep, ctx: ContextDep) -> AlarmRead:
    return await alarms.change_alarm(
        uow=uow, ctx=ctx, alarm_id=alarm_id, action=AlarmAction.RESOLVE, cmd=body
    )


@router.post("/v1/alarms/{alarm_id}/comments", status_code=201, responses=CHANGE)
async def comment(alarm_id: str, body: CommentCreate, uow: UowDep, ctx: ContextDep) -> CommentRead:
    return await alarms.comment_on_alarm(uow=uow, ctx=ctx, alarm_id=alarm_id, cmd=body)


@router.get(
    "/v1/monitoring/closed-without-arrival",
    tags=["monitoring"],
    responses=problem_responses(401, 403, 422),
)
async def closed_without_arrival(uow: UowDep, ctx: ContextDep, page: PageDep) -> Page[AlarmRead]:
    """Breached alarms closed as false alarms with nobody on site (officers: their regions)."""
    return await alarms.closed_without_arrival(
        uow=uow, ctx=ctx, limit=page.limit, offset=page.offset
    )
