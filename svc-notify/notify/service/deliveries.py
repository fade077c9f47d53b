"""The delivery record: who was told what, when, through which channel, and who acknowledged.
Officers read the alarms of their regions' beds, provider admins their provider's, ops all."""

from __future__ import annotations

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import NotFound
from notify.repository import ChainRepository, DeliveryRepository
from notify.schemas import AlarmDeliveryRecord, AttemptRead, DeliveryPage, DeliveryRead
from notify.service.access import delivery_scope
from notify.tables import AttemptRow, DeliveryRow


async def alarm_record(
    *, uow: UnitOfWork, ctx: RequestContext, alarm_id: str
) -> AlarmDeliveryRecord:
    scope = delivery_scope(ctx.principal)
    async with uow:
        deliveries = uow.repo(DeliveryRepository)
        rows = await deliveries.of_subject(alarm_id)
        # a row written before the bed's event arrived has no region stored: the bed's, now
        known = await deliveries.bed_regions(
            [r.bed_id for r in rows if r.bed_id and r.region_code is None]
        )
        visible = [
            r for r in rows if scope.sees(r.provider_id, r.region_code or known.get(r.bed_id or ""))
        ]
        chain = await uow.repo(ChainRepository).get(alarm_id)
        if not visible:
            raise NotFound("Alarm delivery record")  # another region's alarm, like a missing one
        attempts = await deliveries.attempts_of([r.id for r in visible])
        return AlarmDeliveryRecord(
            alarm_id=alarm_id,
            state=chain.state.value if chain else None,
            step=chain.step if chain else None,
            acknowledged_by=chain.acknowledged_by if chain else None,
            acknowledged_at=chain.acknowledged_at if chain else None,
            deliveries=[delivery_read(r, attempts) for r in visible],
        )


async def list_deliveries(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    status: str | None,
    limit: int,
    offset: int,
) -> DeliveryPage:
    scope = delivery_scope(ctx.principal)
    async with uow:
        deliveries = uow.repo(DeliveryRepository)
        rows, total = await deliveries.page(
            provider_id=scope.provider_id,
            region_prefixes=scope.region_prefixes,
            subject=None,
            status=status,
            limit=limit,
            offset=offset,
        )
        attempts = await deliveries.attempts_of([r.id for r in rows])
        return DeliveryPage(
            items=[delivery_read(r, attempts) for r in rows],
            total=total,
            limit=limit,
            offset=offset,
        )


def delivery_read(row: DeliveryRow, attempts: list[AttemptRow]) -> DeliveryRead:
    return DeliveryRead(
        id=row.id,
        subject=row.subject,
        event_type=row.event_type,
        rule_id=row.rule_id,
        step=row.step,
        repeat_no=row.repeat_no,
        recipient_id=row.recipient_id,
        recipient_label=row.context.get("label"),
        provider_id=row.provider_id,
        region_code=row.region_code,
        safety=row.safety,
        title=row.title,
        body=row.body,
        status=row.status,
        channel_used=row.channel_used,
        created_at=row.created_at,
        sent_at=row.sent_at,
        attempts=[
            AttemptRead(channel=a.channel, ok=a.ok, latency_ms=a.latency_ms, error=a.error, at=a.at)
            for a in attempts
            if a.delivery_id == row.id
        ],
        last_error=row.last_error,
        digest_id=row.digest_id,
    )
