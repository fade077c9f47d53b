"""What the alarm lane reads before it raises: one round trip instead of three.

A fall's transaction is a chain of round trips to the database, each one a wait for the
database's process and then for ours to be scheduled again: on a busy machine their count is
the lane's latency (issue 15). The bed (its state, as of now), the receipt of the same event
sent before (a device retrying) and the provider's escalation policy do not depend on one
another, so they come back in one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from iot_ingest.domain.alarms.escalation import DEFAULT_POLICY, EscalationPolicy
from iot_ingest.domain.devices import KnownBed
from iot_ingest.repository.monitoring import policy_from_json
from iot_ingest.tables import beds, device_event_receipts, escalation_policies


@dataclass(frozen=True)
class LaneContext:
    bed: KnownBed | None
    previous_alarm_id: str | None  # the alarm this (device, seq) raised before, if any
    policy: EscalationPolicy


_ONE = select(literal(1).label("one")).subquery()
_CONTEXT = select(
    beds.c.bed_id,
    beds.c.provider_id,
    beds.c.region_code,
    beds.c.status,
    beds.c.active,
    device_event_receipts.c.alarm_id,
    escalation_policies.c.steps,
).select_from(
    _ONE.outerjoin(beds, beds.c.bed_id == bindparam("bed_id"))
    .outerjoin(
        device_event_receipts,
        and_(
            device_event_receipts.c.device_id == bindparam("device_id"),
            device_event_receipts.c.seq == bindparam("seq"),
        ),
    )
    .outerjoin(escalation_policies, escalation_policies.c.provider_id == bindparam("provider_id"))
)


class DeviceLaneRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(
        self, *, bed_id: str, device_id: str, seq: int, provider_id: str
    ) -> LaneContext:
        params = {"bed_id": bed_id, "device_id": device_id, "seq": seq, "provider_id": provider_id}
        row = (await self.session.execute(_CONTEXT, params)).one()
        bed = None
        if row.bed_id is not None:
            bed = KnownBed(
                bed_id=row.bed_id,
                provider_id=row.provider_id,
                region_code=row.region_code,
                status=row.status,
                active=bool(row.active),
            )
        policy = DEFAULT_POLICY if row.steps is None else policy_from_json(row.steps)
        return LaneContext(bed=bed, previous_alarm_id=row.alarm_id, policy=policy)
