"""Alarm routes for caregivers and managers, scoped to the principal's provider."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import PrincipalDep, UowDep
from iot_ingest.access import provider_scope
from iot_ingest.alarms import service
from iot_ingest.alarms.repository import AlarmFilter
from iot_ingest.api.schemas import (
    AlarmDetail,
    AlarmRead,
    CommentIn,
    CommentRead,
    DispatchIn,
    ResolveIn,
)
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmAction

router = APIRouter(tags=["alarms"])


def _read(alarm: Alarm) -> AlarmRead:
    return AlarmRead(**service.alarm_summary(alarm))


@router.get("/v1/alarms")
async def list_alarms(
    uow: UowDep,
    principal: PrincipalDep,
    status: Annotated[list[str] | None, Query()] = None,
    bed_id: str | None = None,
    alarm_type: str | None = None,
    active: bool = False,
    sla_breached: bool | None = None,
    raised_before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlarmRead]:
    found = await service.list_alarms(
        uow=uow,
        alarm_filter=AlarmFilter(
            scope=provider_scope(principal),
            status=status or (),
            bed_id=bed_id,
            alarm_type=alarm_type,
            active_only=active,
            sla_breached=sla_breached,
            raised_before=raised_before,
            limit=limit,
        ),
    )
    return [_read(a) for a in found]


@router.get("/v1/alarms/{alarm_id}")
async def get_alarm(alarm_id: str, uow: UowDep, principal: PrincipalDep) -> AlarmDetail:
    alarm, comments = await service.get_alarm(
        uow=uow, scope=provider_scope(principal), alarm_id=alarm_id
    )
    return AlarmDetail(
        **service.alarm_summary(alarm),
        comments=[CommentRead(by=c.by, at=c.at, text=c.text) for c in comments],
    )


async def _transition(
    uow: UowDep, principal: PrincipalDep, alarm_id: str, action: AlarmAction, **kwargs: object
) -> AlarmRead:
    alarm = await service.transition(
        uow=uow,
        scope=provider_scope(principal),
        alarm_id=alarm_id,
        action=action,
        actor=principal.sub,
        **kwargs,  # type: ignore[arg-type]
    )
    return _read(alarm)


@router.post("/v1/alarms/{alarm_id}/acknowledge")
async def acknowledge(alarm_id: str, uow: UowDep, principal: PrincipalDep) -> AlarmRead:
    return await _transition(uow, principal, alarm_id, AlarmAction.ACKNOWLEDGE)


@router.post("/v1/alarms/{alarm_id}/dispatch")
async def dispatch(
    alarm_id: str, body: DispatchIn, uow: UowDep, principal: PrincipalDep
) -> AlarmRead:
    return await _transition(uow, principal, alarm_id, AlarmAction.DISPATCH, assignee=body.assignee)


@router.post("/v1/alarms/{alarm_id}/arrive")
async def arrive(alarm_id: str, uow: UowDep, principal: PrincipalDep) -> AlarmRead:
    return await _transition(uow, principal, alarm_id, AlarmAction.ARRIVE)


@router.post("/v1/alarms/{alarm_id}/resolve")
async def resolve(
    alarm_id: str, body: ResolveIn, uow: UowDep, principal: PrincipalDep
) -> AlarmRead:
    return await _transition(
        uow, principal, alarm_id, AlarmAction.RESOLVE, outcome=body.outcome, note=body.note
    )


@router.post("/v1/alarms/{alarm_id}/comments", status_code=201)
async def comment(
    alarm_id: str, body: CommentIn, uow: UowDep, principal: PrincipalDep
) -> CommentRead:
    made = await service.add_comment(
        uow=uow,
        scope=provider_scope(principal),
        alarm_id=alarm_id,
        actor=principal.sub,
        text=body.text,
    )
    return CommentRead(by=made.by, at=made.at, text=made.text)
