"""Alarm use cases of caregivers and managers: list, read, acknowledge, dispatch, arrive,
resolve, comment. Each one is one transaction; changes go to the outbox and the SSE feed."""

from __future__ import annotations

from dataclasses import replace

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound
from chassis.write_lock import serialized_writes
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmAction, Comment
from iot_ingest.repository.alarms import AlarmFilter, AlarmRepository
from iot_ingest.schemas import (
    AlarmDetail,
    AlarmDispatch,
    AlarmRead,
    AlarmResolve,
    CommentCreate,
    CommentRead,
)
from iot_ingest.service.access import provider_scope, visible
from iot_ingest.service.alarm_changes import observe_metrics, record_changes


async def list_alarms(
    *, uow: UnitOfWork, ctx: RequestContext, alarm_filter: AlarmFilter, limit: int, offset: int
) -> Page[AlarmRead]:
    """The provider's alarms (ops: all), newest first; the filter's provider is the caller's."""
    scope = provider_scope(ctx.principal)
    async with uow:
        alarms, total = await uow.repo(AlarmRepository).page(
            replace(alarm_filter, provider_id=scope),
            limit=limit,
            offset=offset,
        )
        return Page(items=[alarm_read(a) for a in alarms], total=total, limit=limit, offset=offset)


async def get_alarm(*, uow: UnitOfWork, ctx: RequestContext, alarm_id: str) -> AlarmDetail:
    """One alarm with its comments."""
    scope = provider_scope(ctx.principal)
    async with uow:
        alarms = uow.repo(AlarmRepository)
        alarm = await alarms.get(alarm_id)
        if alarm is None or not visible(scope, alarm.provider_id):
            raise NotFound("Alarm")
        comments = await alarms.comments(alarm_id)
        return AlarmDetail(
            **alarm_read(alarm).model_dump(), comments=[comment_read(c) for c in comments]
        )


async def change_alarm(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    alarm_id: str,
    action: AlarmAction,
    cmd: AlarmDispatch | AlarmResolve | None = None,
) -> AlarmRead:
    """acknowledge / dispatch (again: reassign) / arrive (the 15-minute rule, 001 §四(三)2) /
    resolve (before anyone arrived: false alarm only); `IllegalTransition` when not allowed now."""
    scope = provider_scope(ctx.principal)
    by, at = ctx.principal.sub, ctx.now
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await _visible_alarm(uow, scope, alarm_id)
        if action is AlarmAction.ACKNOWLEDGE:
            alarm.acknowledge(by=by, at=at)
        elif action is AlarmAction.DISPATCH and isinstance(cmd, AlarmDispatch):
            alarm.dispatch(assignee=cmd.assignee, by=by, at=at)
        elif action is AlarmAction.ARRIVE:
            alarm.arrive(by=by, at=at)
        elif action is AlarmAction.RESOLVE and isinstance(cmd, AlarmResolve):
            alarm.resolve(by=by, at=at, outcome=cmd.outcome, note=cmd.note)
        else:
            raise ValueError(f"{action} needs its command")
        changes = await record_changes(uow, alarm)
        await uow.commit()
        observe_metrics(alarm, changes)
        return alarm_read(alarm)


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


def alarm_read(alarm: Alarm) -> AlarmRead:
    """The fields an answer shows (listed explicitly, never the whole object)."""
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
        allowed_actions=list(alarm.allowed_actions()),
    )
