"""The bed alarm projection from `iot.alarms.v1`, and the rule it serves: a caregiver reads a
bed's emergency contact only while an open alarm of the bed is assigned to them (issue 10
item 15). Idempotent: a redelivered or replayed event leaves the same state."""

from __future__ import annotations

from chassis.db import UnitOfWork
from homebed_schemas.events.iot import AlarmEvent
from intake.domain.bed_alarms import (
    BedAlarm,
    NotAlarmAssignee,
    is_assignee_of_open_alarm,
    next_state,
)
from intake.repository_alarms import BedAlarmRepository
from intake.tables import BedRow


async def alarm_changed(*, uow: UnitOfWork, event: AlarmEvent) -> None:
    """Keep the alarm's latest snapshot (status, assignee); a closed alarm stays closed.
    Called by the consumer inside the runner's transaction (which commits it)."""
    alarms = uow.repo(BedAlarmRepository)
    incoming = BedAlarm(
        alarm_id=event.alarm_id,
        bed_id=event.bed_id,
        provider_id=event.provider_id,
        status=event.status,
        assignee=event.assignee,
        updated_at=event.occurred_at,
    )
    state = next_state(await alarms.get(event.alarm_id), incoming)
    if state is not None:
        await alarms.keep(state)


async def require_assignee_of_open_alarm(uow: UnitOfWork, bed: BedRow, sub: str) -> None:
    """`NotAlarmAssignee` (403) unless an open alarm of the bed, of its provider, is assigned to
    `sub` (as far as the projection knows: an alarm dispatched a moment ago may still be on
    its way)."""
    alarms = [
        alarm
        for alarm in await uow.repo(BedAlarmRepository).open_of_bed(bed.id)
        if alarm.provider_id == bed.provider_id
    ]
    if not is_assignee_of_open_alarm(alarms, sub):
        raise NotAlarmAssignee(bed.id)
