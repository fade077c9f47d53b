"""What the alarm lane reads before it raises: one round trip instead of five.

A fall's transaction is a chain of round trips to the database, each one a wait for the
database's process and then for ours to be scheduled again, and each one costs this process
CPU (SQLAlchemy, the driver, the socket): on a busy machine their count is the lane's latency
(issue 15) and a good part of its CPU (issue 16). The device behind the token (a fall detector
posts so rarely that its token is seldom cached: the read was a transaction of its own), its
bed (the state as of now), the receipt of the same event sent before (a device retrying), the
escalation policy of the bed's provider and whether the bed already has an active alarm of the
type do not depend on one another, so they come back in one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from iot_ingest.domain.alarms.escalation import DEFAULT_POLICY, EscalationPolicy
from iot_ingest.domain.devices import KnownBed
from iot_ingest.repository.alarms import ACTIVE_KEY_SEPARATOR
from iot_ingest.repository.monitoring import policy_from_json
from iot_ingest.tables import alarms, beds, device_event_receipts, devices, escalation_policies
from iot_ingest.telemetry.auth import DEVICE_AUTH_COLUMNS, DeviceAuth, device_auth_from_row


@dataclass(frozen=True)
class LaneContext:
    device: DeviceAuth | None  # None: no active device has this token
    bed: KnownBed | None
    previous_alarm_id: str | None  # the alarm this (device, seq) raised before, if any
    policy: EscalationPolicy  # of the bed's provider (the device's without a bed)
    # the bed's active alarm of the event's type, read without a lock: when there is one the
    # lane reads it again locked (a repeat); when there is none it inserts (the unique
    # `active_key` settles a race, as it did with the locked read that found nothing)
    active_alarm_id: str | None


_CONTEXT = (
    select(
        *DEVICE_AUTH_COLUMNS,
        beds.c.bed_id.label("known_bed_id"),
        beds.c.provider_id.label("bed_provider_id"),
        beds.c.region_code,
        device_event_receipts.c.alarm_id.label("previous_alarm_id"),
        escalation_policies.c.steps,
        alarms.c.alarm_id.label("active_alarm_id"),
    )
    .select_from(
        devices.outerjoin(beds, beds.c.bed_id == devices.c.bed_id)
        .outerjoin(
            device_event_receipts,
            and_(
                device_event_receipts.c.device_id == devices.c.device_id,
                device_event_receipts.c.seq == bindparam("seq"),
            ),
        )
        .outerjoin(
            escalation_policies,
            escalation_policies.c.provider_id
            == func.coalesce(beds.c.provider_id, devices.c.provider_id),
        )
        .outerjoin(alarms, alarms.c.active_key == devices.c.bed_id + bindparam("active_key_suffix"))
    )
    .where(devices.c.token_hash == bindparam("token_hash"), devices.c.status == "active")
)


class DeviceLaneRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(self, *, token_hash: str, seq: int, alarm_type: str) -> LaneContext:
        params = {
            "token_hash": token_hash,
            "seq": seq,
            "active_key_suffix": ACTIVE_KEY_SEPARATOR + alarm_type,
        }
        row = (await self.session.execute(_CONTEXT, params)).first()
        if row is None:
            return LaneContext(None, None, None, DEFAULT_POLICY, None)
        bed = None
        if row.known_bed_id is not None:
            bed = KnownBed(
                bed_id=row.known_bed_id,
                provider_id=row.bed_provider_id,
                region_code=row.region_code,
                status=row.bed_status,
                active=bool(row.bed_active),
            )
        return LaneContext(
            device=device_auth_from_row(row),
            bed=bed,
            previous_alarm_id=row.previous_alarm_id,
            policy=DEFAULT_POLICY if row.steps is None else policy_from_json(row.steps),
            active_alarm_id=row.active_alarm_id,
        )
