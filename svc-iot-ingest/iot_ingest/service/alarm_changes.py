"""Recording alarm changes inside an open unit of work: the rows, the outbox and the SSE feed.

Shared by the alarm lane, the rule engine, escalations and the people's lifecycle use cases.
Nothing here commits: the caller's use case (or batch) does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chassis.db import UnitOfWork, encode_envelope
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmSeverity
from homebed_schemas.topics import IOT_ALARMS
from iot_ingest.domain.alarms.escalation import EscalationPolicy
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmChange, ChangeKind, Comment
from iot_ingest.prometheus_metrics import (
    ALARM_TIME_TO_ACK,
    ALARM_TIME_TO_ARRIVAL,
    ALARMS_RAISED,
    ALARMS_RESOLVED,
    ALARMS_SLA_BREACHED,
    SERVICE,
)
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.devices import BedRepository
from iot_ingest.repository.monitoring import EscalationPolicyRepository
from iot_ingest.service.events import alarm_change_event, emit_alarm_change

# Changes kept as lines of the alarm's comments (its detail's history): people's notes, and the
# platform's hand-over to another provider (who was released, and why)
ON_RECORD = frozenset({ChangeKind.COMMENTED, ChangeKind.HANDED_OVER})


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
    region_code: str | None = None  # looked up from the bed when not given


async def raise_or_repeat(
    uow: UnitOfWork,
    request: RaiseRequest,
    *,
    policy: EscalationPolicy | None = None,
    no_active_alarm: bool = False,
) -> tuple[Alarm, list[AlarmChange]]:
    """One active alarm per (bed, type): a new one, or a repeat that raises its count.

    The alarm belongs to the bed's provider: a repeat keeps the alarm's (handed over with its
    bed, 001 §四(六)); a new alarm without the bed's region (the rule engine) takes the bed's
    provider from the bed projection too, since the engine's cache may predate a provider change.
    `policy`: the escalation policy of `request.provider_id`, when the caller read it already
    (the alarm lane reads it with the bed in one round trip). `no_active_alarm`: the caller's
    read in this transaction found no active alarm of the (bed, type), so none is looked for
    (a concurrent raise of the same one fails on the unique `active_key`, as it would anyway).
    """
    policies = uow.repo(EscalationPolicyRepository)

    async def policy_of(provider_id: str) -> EscalationPolicy:
        if policy is not None and provider_id == request.provider_id:
            return policy
        return await policies.for_provider(provider_id)

    alarm = None
    if not no_active_alarm:
        alarm = await uow.repo(AlarmRepository).find_active(request.bed_id, request.alarm_type)
    if alarm is not None:
        alarm.repeat(at=request.at, device_id=request.device_id)
        return alarm, await record_changes(
            uow, alarm, await policy_of(alarm.provider_id), new=False
        )
    provider, region = request.provider_id, request.region_code
    if region is None:
        bed = await uow.repo(BedRepository).get(request.bed_id)
        if bed is not None:
            provider, region = bed.provider_id, bed.region_code
    chain = await policy_of(provider)
    alarm = Alarm.raise_new(
        region_code=region,
        alarm_id=str(uuid.uuid4()),
        bed_id=request.bed_id,
        provider_id=provider,
        alarm_type=request.alarm_type,
        severity=request.severity,
        at=request.at,
        device_id=request.device_id,
        rule_id=request.rule_id,
        detail=request.detail,
    )
    return alarm, await record_changes(uow, alarm, chain, new=True)


async def record_changes(
    uow: UnitOfWork, alarm: Alarm, policy: EscalationPolicy | None = None, *, new: bool = False
) -> list[AlarmChange]:
    """Persist the alarm and its new comments; publish each change (outbox + feed)."""
    alarms = uow.repo(AlarmRepository)
    if policy is None:
        policy = await uow.repo(EscalationPolicyRepository).for_provider(alarm.provider_id)
    if new:
        await alarms.add(alarm, policy)
    else:
        await alarms.save(alarm, policy)
    changes = alarm.pop_changes()
    for change in changes:
        if change.kind in ON_RECORD and change.text is not None:
            comment = Comment(by=change.actor or "", at=change.at, text=change.text)
            await alarms.add_comment(alarm.alarm_id, comment)
        envelope = await emit_alarm_change(uow, alarm, change)
        payload = encode_envelope(envelope)
        await alarms.append_feed(
            provider_id=alarm.provider_id,
            alarm_id=alarm.alarm_id,
            event_type=envelope.type,
            payload=payload,
            at=change.at,
        )
        if change.previous_provider_id is not None:
            # a hand-over reaches the stream of the provider the alarm left (its screens drop it)
            await alarms.append_feed(
                provider_id=change.previous_provider_id,
                alarm_id=alarm.alarm_id,
                event_type=envelope.type,
                payload=payload,
                at=change.at,
            )
    return changes


async def record_sweep(
    uow: UnitOfWork, swept: Sequence[tuple[Alarm, EscalationPolicy]]
) -> list[list[AlarmChange]]:
    """`record_changes` for a sweep's alarms together: one UPDATE for the rows, one outbox
    INSERT (and one read of the beds' earlier unsent events) for their events, one INSERT for
    the feed, whatever their number; the changes of each alarm, in order."""
    alarms = uow.repo(AlarmRepository)
    await alarms.save_many(swept)
    events: list[tuple[str, str, Envelope]] = []
    feed: list[dict[str, object]] = []
    made: list[list[AlarmChange]] = []
    for alarm, _ in swept:
        changes = alarm.pop_changes()
        made.append(changes)
        for change in changes:
            if change.kind in ON_RECORD and change.text is not None:
                comment = Comment(by=change.actor or "", at=change.at, text=change.text)
                await alarms.add_comment(alarm.alarm_id, comment)
            envelope = alarm_change_event(uow, alarm, change)
            events.append((IOT_ALARMS.name, alarm.bed_id, envelope))
            payload = encode_envelope(envelope)
            providers = [alarm.provider_id]
            if change.previous_provider_id is not None:
                providers.append(change.previous_provider_id)  # as `record_changes`
            feed.extend(
                {
                    "provider_id": provider_id,
                    "alarm_id": alarm.alarm_id,
                    "event_type": envelope.type,
                    "payload": payload,
                    "created_at": change.at,
                }
                for provider_id in providers
            )
    await uow.publish_many(events, express=True)
    await alarms.append_feed_many(feed)
    return made


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
            ALARMS_SLA_BREACHED.labels(SERVICE, alarm.alarm_type, alarm.provider_id).inc()
