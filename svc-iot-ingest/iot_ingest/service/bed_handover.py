"""A bed moved to another provider (intake's `bed.provider_changed`; 001 §四(六) "试点地区民政部门
应及时重新选定服务机构"): what iot-ingest keeps of the bed passes to the new provider, so the old
provider's staff no longer see or act on it and the new provider's do.

- devices: the bed's registered devices are the new provider's (their lists, management, the
  readings they send from now on; the other processes' token caches are told on commit, and
  new alarms always take the bed's provider);
- open alarms: handed over (`Alarm.hand_over`): read models, the SSE stream and the escalation
  chain are the new provider's; an alarm dispatched to the old provider's worker is released
  and waits for the new provider's dispatch; `alarm.handed_over` is published, written on the
  alarm's comments, and fed to both providers' streams;
- what is keyed by the bed alone (rules, rule state, latest values, aggregates) simply follows.

Resolved alarms and removed devices stay the old provider's history.
"""

from __future__ import annotations

import logging
from datetime import datetime

from chassis.db import UnitOfWork
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmChange
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.devices import DeviceRepository
from iot_ingest.service.alarm_changes import observe_metrics, record_changes

logger = logging.getLogger(__name__)


async def hand_over_bed(
    uow: UnitOfWork, *, bed_id: str, previous_provider_id: str, provider_id: str, at: datetime
) -> None:
    """Give the bed's devices and open alarms to `provider_id`. Never commits (the consumer
    runner commits with the event)."""
    moved = await uow.repo(DeviceRepository).hand_over_bed(bed_id, provider_id)
    handed: list[tuple[Alarm, list[AlarmChange]]] = []
    released: list[str] = []
    for alarm in await uow.repo(AlarmRepository).active_of_other_provider(bed_id, provider_id):
        worker = alarm.hand_over(to_provider=provider_id, at=max(at, alarm.last_changed_at))
        if worker is not None:
            released.append(worker)
        handed.append((alarm, await record_changes(uow, alarm)))
    logger.info(
        "bed handed over to another provider",
        extra={
            "bed_id": bed_id,
            "from_provider": previous_provider_id,
            "to_provider": provider_id,
            "devices": moved,
            "alarms": len(handed),
            "released_workers": len(released),
        },
    )
    for alarm, changes in handed:
        observe_metrics(alarm, changes)  # approximate if the runner's commit fails
