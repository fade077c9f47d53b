"""A bed moved to another provider (intake's `bed.provider_changed`; 001 §四(六) "试点地区民政部门
应及时重新选定服务机构"). The roster takes the new provider from the event like any bed change; what
the old provider's people held of the bed is let go, so they no longer see it:

- their workers' assignments to the bed are dropped (a caregiver sees the beds assigned to them);
- the bed's scheduled tasks pass to the new provider, unassigned (its admin assigns its own
  workers); completed and missed tasks, visits, surveys and trainings stay the old provider's
  record. The archive travels with the bed ("床随人走", 000 §三(五)): the new provider reads it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from chassis.db import UnitOfWork
from service_records.repository import PlanRepository, RosterRepository
from service_records.tables import RosterBedRow

logger = logging.getLogger(__name__)


async def hand_over_bed(
    uow: UnitOfWork, bed: RosterBedRow, *, previous_provider_id: str, at: datetime
) -> None:
    """Drop the other providers' assignments of the bed and give its open tasks to the bed's
    provider, unassigned. Never commits."""
    dropped = await uow.repo(RosterRepository).drop_assignees_not_of(bed.bed_id, bed.provider_id)
    tasks = await uow.repo(PlanRepository).open_of_other_provider(bed.bed_id, bed.provider_id)
    for task in tasks:
        task.provider_id, task.assignee_worker_id, task.updated_at = bed.provider_id, None, at
    logger.info(
        "bed handed over to another provider",
        extra={
            "bed_id": bed.bed_id,
            "from_provider": previous_provider_id,
            "to_provider": bed.provider_id,
            "assignments_dropped": len(dropped),
            "tasks_handed_over": len(tasks),
        },
    )
