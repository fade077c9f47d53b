"""The escalation sweep: alarms nobody acknowledged, dispatched or reached in time move up the
provider's chain; the 15-minute on-site rule (001 §四(三)2) is marked as breached."""

from __future__ import annotations

from datetime import datetime

from chassis.db import UnitOfWork
from chassis.write_lock import serialized_writes
from iot_ingest.domain.alarms.escalation import EscalationPolicy, check_escalations
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.monitoring import EscalationPolicyRepository
from iot_ingest.service.alarm_changes import observe_metrics, record_changes


async def run_escalations(*, uow: UnitOfWork, now: datetime) -> int:
    """Escalate every alarm whose next check is due; returns how many changes were made.

    One alarm per transaction, skipping alarms another transaction holds: the alarm lane
    repeating an alarm must never queue behind a sweep that locked a whole page of alarms
    (at 2 minutes, every unacknowledged alarm of a burst falls due at once). A skipped alarm
    is escalated on the next sweep.
    """
    policies: dict[str, EscalationPolicy] = {}
    handled: set[str] = set()
    total = 0
    while True:
        async with uow, serialized_writes(uow, urgent=True):
            due = await uow.repo(AlarmRepository).due_for_escalation(now, limit=1, exclude=handled)
            if not due:
                return total
            [alarm] = due
            handled.add(alarm.alarm_id)
            policy = policies.get(alarm.provider_id)
            if policy is None:
                policy = await uow.repo(EscalationPolicyRepository).for_provider(alarm.provider_id)
                policies[alarm.provider_id] = policy
            check_escalations(alarm, policy, now)
            changes = await record_changes(uow, alarm, policy)
            await uow.commit()
        observe_metrics(alarm, changes)
        total += len(changes)
