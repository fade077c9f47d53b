"""Alarm use cases. Each one owns its transaction; changes go to the outbox and the feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chassis.db import UnitOfWork
from chassis.write_lock import serialized_writes
from homebed_schemas.events.iot import AlarmSeverity
from homebed_schemas.topics import IOT_ALARMS
from iot_ingest.access import visible
from iot_ingest.alarms import repository as repo
from iot_ingest.alarms.events import alarm_envelope, envelope_bytes
from iot_ingest.alarms.policies import policy_for
from iot_ingest.domain.alarms.escalation import EscalationPolicy, check_escalations
from iot_ingest.domain.alarms.lifecycle import (
    Alarm,
    AlarmAction,
    AlarmChange,
    AlarmOutcome,
    ChangeKind,
    Comment,
)
from iot_ingest.errors import NotFound
from iot_ingest.metrics import (
    ALARM_TIME_TO_ACK,
    ALARM_TIME_TO_ARRIVAL,
    ALARMS_RAISED,
    ALARMS_RESOLVED,
    ALARMS_SLA_BREACHED,
    SERVICE,
)


@dataclass(frozen=True)
class RaiseRequest:
    bed_id: str
    provider_id: str
    alarm_type: str
    severity: AlarmSeverity
    at: datetime
    device_id: str | None = None
    rule_id: str | None = None
    detail: str | None = None


async def raise_or_repeat(
    uow: UnitOfWork, request: RaiseRequest
) -> tuple[Alarm, list[AlarmChange]]:
    """Inside an open unit of work: one active alarm per (bed, type); a repeat raises its count."""
    policy = await policy_for(uow, request.provider_id)
    alarm = await repo.find_active(uow, request.bed_id, request.alarm_type)
    if alarm is not None:
        alarm.repeat(at=request.at, device_id=request.device_id)
        return alarm, await record_changes(uow, alarm, policy, new=False)
    alarm = Alarm.raise_new(
        alarm_id=str(uuid.uuid4()),
        bed_id=request.bed_id,
        provider_id=request.provider_id,
        alarm_type=request.alarm_type,
        severity=request.severity,
        at=request.at,
        device_id=request.device_id,
        rule_id=request.rule_id,
        detail=request.detail,
    )
    return alarm, await record_changes(uow, alarm, policy, new=True)


async def record_changes(
    uow: UnitOfWork, alarm: Alarm, policy: EscalationPolicy, *, new: bool
) -> list[AlarmChange]:
    """Persist the alarm, its new comments, and publish each change (outbox + feed)."""
    if new:
        await repo.insert_alarm(uow, alarm, policy)
    else:
        await repo.update_alarm(uow, alarm, policy)
    changes = alarm.pop_changes()
    for change in changes:
        if change.kind is ChangeKind.COMMENTED and change.text is not None:
            comment = Comment(by=change.actor or "", at=change.at, text=change.text)
            await repo.insert_comment(uow, alarm.alarm_id, comment)
        envelope = alarm_envelope(alarm, change)
        await uow.publish(topic=IOT_ALARMS.name, key=alarm.bed_id, event=envelope)
        await repo.append_feed(
            uow,
            provider_id=alarm.provider_id,
            alarm_id=alarm.alarm_id,
            event_type=envelope.type,
            payload=envelope_bytes(envelope),
            at=change.at,
        )
    return changes


def observe_metrics(alarm: Alarm, changes: Sequence[AlarmChange]) -> None:
    """After commit: the alarm metrics of the ops dashboards."""
    for change in changes:
        if change.kind is ChangeKind.RAISED:
            ALARMS_RAISED.labels(SERVICE, alarm.alarm_type).inc()
        elif change.kind is ChangeKind.ACKNOWLEDGED and alarm.time_to_ack is not None:
            ALARM_TIME_TO_ACK.labels(SERVICE, alarm.alarm_type).observe(
                alarm.time_to_ack.total_seconds()
            )
        elif change.kind is ChangeKind.ARRIVED and alarm.time_to_arrival is not None:
            ALARM_TIME_TO_ARRIVAL.labels(SERVICE, alarm.alarm_type).observe(
                alarm.time_to_arrival.total_seconds()
            )
        elif change.kind is ChangeKind.RESOLVED and alarm.outcome is not None:
            ALARMS_RESOLVED.labels(SERVICE, alarm.alarm_type, alarm.outcome.value).inc()
        elif change.kind is ChangeKind.SLA_BREACHED:
            ALARMS_SLA_BREACHED.labels(SERVICE, alarm.alarm_type).inc()


async def _load_visible(uow: UnitOfWork, scope: str | None, alarm_id: str) -> Alarm:
    alarm = await repo.get_alarm(uow, alarm_id, lock=True)
    if alarm is None or not visible(scope, alarm.provider_id):
        raise NotFound("Alarm not found.")
    return alarm


async def transition(
    *,
    uow: UnitOfWork,
    scope: str | None,
    alarm_id: str,
    action: AlarmAction,
    actor: str,
    assignee: str | None = None,
    outcome: AlarmOutcome | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Alarm:
    """acknowledge / dispatch / arrive / resolve; IllegalTransition when not allowed now."""
    now = now or datetime.now(UTC)
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await _load_visible(uow, scope, alarm_id)
        if action is AlarmAction.ACKNOWLEDGE:
            alarm.acknowledge(by=actor, at=now)
        elif action is AlarmAction.DISPATCH:
            alarm.dispatch(assignee=assignee or "", by=actor, at=now)
        elif action is AlarmAction.ARRIVE:
            alarm.arrive(by=actor, at=now)
        else:
            alarm.resolve(by=actor, at=now, outcome=outcome or AlarmOutcome.OTHER, note=note)
        changes = await record_changes(
            uow, alarm, await policy_for(uow, alarm.provider_id), new=False
        )
        await uow.commit()
    observe_metrics(alarm, changes)
    return alarm


async def add_comment(
    *,
    uow: UnitOfWork,
    scope: str | None,
    alarm_id: str,
    actor: str,
    text: str,
    now: datetime | None = None,
) -> Comment:
    now = now or datetime.now(UTC)
    async with uow, serialized_writes(uow, urgent=True):
        alarm = await _load_visible(uow, scope, alarm_id)
        comment = alarm.comment(by=actor, at=now, text=text)
        await record_changes(uow, alarm, await policy_for(uow, alarm.provider_id), new=False)
        await uow.commit()
    return comment


async def get_alarm(
    *, uow: UnitOfWork, scope: str | None, alarm_id: str
) -> tuple[Alarm, list[Comment]]:
    async with uow:
        alarm = await repo.get_alarm(uow, alarm_id)
        if alarm is None or not visible(scope, alarm.provider_id):
            raise NotFound("Alarm not found.")
        return alarm, await repo.load_comments(uow, alarm_id)


async def list_alarms(*, uow: UnitOfWork, alarm_filter: repo.AlarmFilter) -> list[Alarm]:
    async with uow:
        return await repo.list_alarms(uow, alarm_filter)


async def run_escalations(*, uow: UnitOfWork, now: datetime | None = None) -> int:
    """Escalate every alarm whose next check is due; returns how many changes were made.

    One alarm per transaction, skipping alarms another transaction holds: the alarm lane
    repeating an alarm must never queue behind a sweep that locked a whole page of alarms
    (at 2 minutes, every unacknowledged alarm of a burst falls due at once). A skipped alarm
    is escalated on the next sweep.
    """
    now = now or datetime.now(UTC)
    policies: dict[str, EscalationPolicy] = {}
    handled: set[str] = set()
    total = 0
    while True:
        async with uow, serialized_writes(uow, urgent=True):
            due = await repo.due_for_escalation(uow, now, limit=1, exclude=handled)
            if not due:
                return total
            [alarm] = due
            handled.add(alarm.alarm_id)
            policy = policies.get(alarm.provider_id)
            if policy is None:
                policy = policies[alarm.provider_id] = await policy_for(uow, alarm.provider_id)
            check_escalations(alarm, policy, now)
            changes = await record_changes(uow, alarm, policy, new=False)
            await uow.commit()
        observe_metrics(alarm, changes)
        total += len(changes)


def alarm_summary(alarm: Alarm) -> dict[str, Any]:
    """The fields an API response shows (listed explicitly, never the whole object)."""
    return {
        "alarm_id": alarm.alarm_id,
        "bed_id": alarm.bed_id,
        "provider_id": alarm.provider_id,
        "alarm_type": alarm.alarm_type,
        "severity": alarm.severity.value,
        "status": alarm.status.value,
        "count": alarm.count,
        "raised_at": alarm.raised_at,
        "last_raised_at": alarm.last_raised_at,
        "arrival_deadline": alarm.arrival_deadline,
        "device_id": alarm.device_id,
        "rule_id": alarm.rule_id,
        "detail": alarm.detail,
        "acknowledged_by": alarm.acknowledged_by,
        "acknowledged_at": alarm.acknowledged_at,
        "assignee": alarm.assignee,
        "dispatched_at": alarm.dispatched_at,
        "arrived_by": alarm.arrived_by,
        "arrived_at": alarm.arrived_at,
        "resolved_by": alarm.resolved_by,
        "resolved_at": alarm.resolved_at,
        "outcome": alarm.outcome.value if alarm.outcome else None,
        "note": alarm.note,
        "condition_cleared_at": alarm.condition_cleared_at,
        "escalation_level": alarm.escalation_level,
        "sla_breached": alarm.sla_breached,
        "allowed_next_steps": list(alarm.allowed_next_steps()),
    }
