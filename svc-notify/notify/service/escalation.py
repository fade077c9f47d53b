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
from notify.service.writer import DeliveryWriter
from notify.tables import DeliveryRow, NewDelivery


async def repeat_due_steps(
    *,
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    wake: Callable[[], None],
    writer: DeliveryWriter,
    chunk: int = 200,
    max_chunks: int = 10,
) -> int:
    """Create the next round of every due chain step; returns how many deliveries.

    A chunk of due chains per transaction (locked; chains a consumer holds are skipped and
    come at the next sweep), their steps' first rounds read in one query, the repeats written
    together (`writer`: a fall's repeats go to the inbox at once), the rest to the
    dispatcher. Ten thousand open falls repeat every minute: one transaction each would be
    160 a second."""
    now = clock()
    created = 0
    waiting = False
    for _ in range(max_chunks):
        async with uow_factory() as uow:
            chains = uow.repo(ChainRepository)
            due = [c for c in await chains.lock_repeat_due(now, limit=chunk) if c.repeat_due(now)]
            if not due:
                break
            deliveries = uow.repo(DeliveryRepository)
            firsts = await deliveries.first_rounds({c.step_event_id for c in due})
            unplaced = [
                d.bed_id for ds in firsts.values() for d in ds if d.bed_id and not d.region_code
            ]
            regions = await deliveries.bed_regions(unplaced)
            rows: list[NewDelivery] = []
            for chain in due:
                originals = [
                    d
                    for d in firsts.get(chain.step_event_id, [])
                    # the monitoring centre's screen shows the alarm until it is handled:
                    # people are reminded, the screen is not
                    if d.step == chain.step
                    and d.status != DeliveryStatus.UNROUTABLE.value
                    and not d.recipient_id.startswith(CENTRE_PREFIX)
                ]
                round_no = chain.next_round(now)
                for original in originals:
                    row = _repeat(original, round_no, now)
                    row.region_code = original.region_code or regions.get(original.bed_id or "")
                    deliveries.stage(row)
                    rows.append(row)
                await chains.save(chain)
            await writer.write(uow, rows, now)
            await uow.commit()
        created += len(rows)
        waiting = waiting or any(r.status == DeliveryStatus.PENDING.value for r in rows)
        if len(due) < chunk:
            break
    if waiting:
        wake()
    return created


def _repeat(original: DeliveryRow, round_no: int, now: datetime) -> NewDelivery:
    return NewDelivery(
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
