"""Alarm use cases of caregivers and managers: list, read, acknowledge, dispatch, arrive,
resolve, comment. Each one is one transaction; changes go to the outbox and the SSE feed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, Unprocessable
from chassis.write_lock import serialized_writes
from iot_ingest.domain.alarms.lifecycle import Actor, Alarm, AlarmAction, Comment
from iot_ingest.domain.geo import distance_m
from iot_ingest.repository.alarms import AlarmFilter, AlarmRepository
from iot_ingest.repository.devices import BedRepository, DeviceRepository
from iot_ingest.repository.workers import WorkerRepository
from iot_ingest.schemas import (
    AlarmArrive,
    AlarmDetail,
    AlarmDispatch,
    AlarmRead,
    AlarmResolve,
    BlockedActionRead,
    CommentCreate,
    CommentRead,
)
from iot_ingest.service.access import (
    actor_of,
    oversight_scope,
    provider_scope,
    visible,
)
from iot_ingest.service.alarm_changes import observe_metrics, record_changes

ME = "me"  # `GET /v1/alarms?assignee=me`: the caller's own alarms


async def list_alarms(
    *, uow: UnitOfWork, ctx: RequestContext, alarm_filter: AlarmFilter, limit: int, offset: int
) -> Page[AlarmRead]:
    """The provider's alarms (ops: all), newest first; the filter's provider is the caller's;
    `assignee=me` is the caller's own."""
    scope = provider_scope(ctx.principal)
    if alarm_filter.assignee == ME:
        alarm_filter = replace(alarm_filter, assignee=ctx.principal.sub)
    async with uow:
        alarms, total = await uow.repo(AlarmRepository).page(
            replace(alarm_filter, provider_id=scope),
            limit=limit,
            offset=offset,
        )
        items = await _reads(uow, ctx, alarms)
        return Page(items=items, total=total, limit=limit, offset=offset)


async def closed_without_arrival(
    *, uow: UnitOfWork, ctx: RequestContext, limit: int, offset: int
) -> Page[AlarmRead]:
    """Alarms closed as false alarms past the 15-minute deadline with nobody on site (two
    provider admins agreed): officers see their regions', provider admins their own."""
    scope = oversight_scope(ctx.principal)
    alarm_filter = AlarmFilter(
        provider_id=scope.provider_id,
        region_prefixes=scope.region_prefixes,
        closed_without_arrival=True,
    )
    async with uow:
        alarms, total = await uow.repo(AlarmRepository).page(
            alarm_filter, limit=limit, offset=offset
        )
        items = await _reads(uow, ctx, alarms)
        return Page(items=items, total=total, limit=limit, offset=offset)


async def get_alarm(*, uow: UnitOfWork, ctx: RequestContext, alarm_id: str) -> AlarmDetail:
    """One alarm with its comments."""
    scope = provider_scope(ctx.principal)
    async with uow:
        alarms = uow.repo(AlarmRepository)
        alarm = await alarms.get(alarm_id)
        if alarm is None or not visible(scope, alarm.provider_id):
            raise NotFound("Alarm")
        comments = await alarms.comments(alarm_id)
        [read] = await _reads(uow, ctx, [alarm])
        return AlarmDetail(**read.model_dump(), comments=[comment_read(c) for c in comments])


async def change_alarm(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    alarm_id: str,
    action: AlarmAction,
    cmd: AlarmDispatch | AlarmArrive | AlarmResolve | None = None,
) -> AlarmRead:
    """acknowledge / dispatch to an active worker (again: reassign) / arrive, by the assignee
    (the 15-minute rule, 001 §四(三)2) / resolve (before anyone arrived: false alarm only; past
    the deadline two provider admins); `IllegalTransition` when the state does not allow it."""
    scope = provider_scope(ctx.principal)
    by, at = ctx.principal.sub, ctx.now
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await _visible_alarm(uow, scope, alarm_id)
        if action is AlarmAction.ACKNOWLEDGE:
            alarm.acknowledge(by=by, at=at)
        elif action is AlarmAction.DISPATCH and isinstance(cmd, AlarmDispatch):
            worker = await uow.repo(WorkerRepository).get(alarm.provider_id, cmd.assignee)
            if worker is None or not worker.active:
                raise Unprocessable.field(
                    "assignee", f"{cmd.assignee} is not an active worker of the provider"
                )
            alarm.dispatch(assignee=cmd.assignee, by=by, at=at)
        elif action is AlarmAction.ARRIVE and isinstance(cmd, AlarmArrive):
            distance = await _distance_to_bed(uow, alarm.bed_id, cmd)
            alarm.arrive(by=by, at=at, lat=cmd.lat, lon=cmd.lon, distance_m=distance)
        elif action is AlarmAction.RESOLVE and isinstance(cmd, AlarmResolve):
            alarm.resolve(
                by=by,
                at=at,
                outcome=cmd.outcome,
                note=cmd.note,
                provider_admin=actor_of(ctx.principal).provider_admin,
            )
        else:
            raise ValueError(f"{action} needs its command")
        changes = await record_changes(uow, alarm)
        await uow.commit()
        observe_metrics(alarm, changes)
        [read] = await _reads(uow, ctx, [alarm])
        return read


async def _distance_to_bed(uow: UnitOfWork, bed_id: str, cmd: AlarmArrive) -> float | None:
    if (cmd.lat is None) != (cmd.lon is None):
        raise Unprocessable.field("lat", "send both lat and lon, or neither")
    if cmd.lat is None or cmd.lon is None:
        return None
    bed = await uow.repo(DeviceRepository).bed_location(bed_id)
    return None if bed is None else distance_m(cmd.lat, cmd.lon, bed[0], bed[1])


async def _reads(uow: UnitOfWork, ctx: RequestContext, alarms: list[Alarm]) -> list[AlarmRead]:
    labels = await uow.repo(DeviceRepository).location_labels(
        {a.device_id for a in alarms if a.device_id}
    )
    elders = await uow.repo(BedRepository).elders({a.bed_id for a in alarms})
    actor = actor_of(ctx.principal)
    return [
        alarm_read(a, actor=actor, now=ctx.now, labels=labels, elder=elders.get(a.bed_id))
        for a in alarms
    ]


async def comment_on_alarm(
    *, uow: UnitOfWork, ctx: RequestContext, alarm_id: str, cmd: CommentCreate
) -> CommentRead:
    """A note on the alarm (published as alarm.commented)."""
    scope = provider_scope(ctx.principal)
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await _visible_alarm(uow, scope, alarm_id)
        comment = alarm.comment(by=ctx.principal.sub, at=ctx.now, text=cmd.text)
        await record_changes(uow, alarm)
        await uow.commit()
        return comment_read(comment)


async def _visible_alarm(uow: UnitOfWork, scope: str | None, alarm_id: str) -> Alarm:
    alarm = await uow.repo(AlarmRepository).get(alarm_id, lock=True)
    if alarm is None or not visible(scope, alarm.provider_id):
        raise NotFound("Alarm")
    return alarm


def comment_read(comment: Comment) -> CommentRead:
    return CommentRead(by=comment.by, at=comment.at, text=comment.text)


def alarm_read(
    alarm: Alarm,
    *,
    actor: Actor,
    now: datetime,
    labels: Mapping[str, str],
    elder: tuple[str | None, str | None] | None = None,
) -> AlarmRead:
    """The fields an answer shows (listed explicitly, never the whole object); the actions are
    the caller's. The elder's name and address are shown masked, as intake published them on
    the bed's events (no call to intake on an alarm)."""
    allowed, blocked = alarm.actions_for(actor, now)
    name_masked, address_masked = elder or (None, None)
    return AlarmRead(
        alarm_id=alarm.alarm_id,
        bed_id=alarm.bed_id,
        provider_id=alarm.provider_id,
        alarm_type=alarm.alarm_type,
        severity=alarm.severity.value,
        status=alarm.status.value,
        count=alarm.count,
        raised_at=alarm.raised_at,
        last_raised_at=alarm.last_raised_at,
        arrival_deadline=alarm.arrival_deadline,
        device_id=alarm.device_id,
        rule_id=alarm.rule_id,
        detail=alarm.detail,
        acknowledged_by=alarm.acknowledged_by,
        acknowledged_at=alarm.acknowledged_at,
        assignee=alarm.assignee,
        dispatched_at=alarm.dispatched_at,
        arrived_by=alarm.arrived_by,
        arrived_at=alarm.arrived_at,
        resolved_by=alarm.resolved_by,
        resolved_at=alarm.resolved_at,
        outcome=alarm.outcome.value if alarm.outcome else None,
        note=alarm.note,
        condition_cleared_at=alarm.condition_cleared_at,
        escalation_level=alarm.escalation_level,
        sla_breached=alarm.sla_breached,
        region_code=alarm.region_code,
        elder_name_masked=name_masked,
        address_masked=address_masked,
        device_location_label=labels.get(alarm.device_id) if alarm.device_id else None,
        arrival_lat=alarm.arrival_lat,
        arrival_lon=alarm.arrival_lon,
        arrival_distance_m=alarm.arrival_distance_m,
        close_requested_by=alarm.close_requested_by,
        close_confirmed_by=alarm.close_confirmed_by,
        allowed_actions=list(allowed),
        blocked_actions=[BlockedActionRead(action=b.action, unmet=list(b.unmet)) for b in blocked],
    )
