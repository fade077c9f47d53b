"""Repeats within a step: an open chain (nobody acknowledged) sends its current step again to
the same people every `repeat_minutes`; iot-ingest's escalation moves it to the next step."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chassis.clock import Clock
from chassis.db import UnitOfWork
from notify.channels.base import CENTRE_PREFIX
from notify.domain.delivery import DeliveryStatus
from notify.repository import ChainRepository, DeliveryRepository
from notify.tables import DeliveryRow


async def repeat_due_steps(
    *, uow_factory: Callable[[], UnitOfWork], clock: Clock, wake: Callable[[], None]
) -> int:
    """Create the next round of every due chain step; returns how many deliveries."""
    now = clock()
    async with uow_factory() as uow:
        candidates = await uow.repo(ChainRepository).repeat_candidates(now, limit=500)
    created = 0
    for alarm_id in candidates:
        async with uow_factory() as uow:
            chains = uow.repo(ChainRepository)
            chain = await chains.get(alarm_id, lock=True)
            if chain is None or not chain.repeat_due(now):
                continue
            deliveries = uow.repo(DeliveryRepository)
            originals = [
                d
                for d in await deliveries.of_step(chain.step_event_id, chain.step)
                # the monitoring centre's screen shows the alarm until it is handled: people
                # are reminded, the screen is not
                if d.status != DeliveryStatus.UNROUTABLE.value
                and not d.recipient_id.startswith(CENTRE_PREFIX)
            ]
            round_no = chain.next_round(now)
            for original in originals:
                await deliveries.add(_repeat(original, round_no, now))
                created += 1
            await chains.save(chain)
            await uow.commit()
    if created:
        wake()
    return created


def _repeat(original: DeliveryRow, round_no: int, now: datetime) -> DeliveryRow:
    return DeliveryRow(
        source_event_id=original.source_event_id,
        topic=original.topic,
        event_type=original.event_type,
        rule_id=original.rule_id,
        step=original.step,
        repeat_no=round_no,
        recipient_id=original.recipient_id,
        provider_id=original.provider_id,
        region_code=original.region_code,
        bed_id=original.bed_id,
        subject=original.subject,
        safety=original.safety,
        title=f"（第{round_no + 1}次提醒）{original.title}",
        body=original.body,
        channels=list(original.channels),
        status=DeliveryStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        event_at=original.event_at,
        ack_code=original.ack_code,
        context=dict(original.context),
    )
