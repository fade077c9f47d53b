"""The alarm lane: a device event raises (or repeats) an alarm at once, idempotent by seq."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork
from chassis.write_lock import serialized_writes
from iot_ingest.alarms import repository as repo
from iot_ingest.alarms.service import RaiseRequest, observe_metrics, raise_or_repeat
from iot_ingest.domain.alarm_types import ALARM_TYPE_OF_EVENT, ALARM_TYPES
from iot_ingest.domain.alarms.lifecycle import Alarm
from iot_ingest.domain.catalogue import DeviceEventKind
from iot_ingest.domain.validation import MAX_CLOCK_AHEAD
from iot_ingest.errors import Unprocessable
from iot_ingest.tables import device_event_receipts
from iot_ingest.telemetry.auth import DeviceAuth


@dataclass(frozen=True)
class DeviceEventResult:
    alarm: Alarm
    duplicate: bool


async def raise_from_device_event(
    *,
    uow: UnitOfWork,
    device: DeviceAuth,
    seq: int,
    kind: str,
    device_ts: datetime,
    now: datetime | None = None,
) -> DeviceEventResult:
    """Raise the event's alarm now (database + outbox); a retried seq returns the same alarm."""
    now = now or datetime.now(UTC)
    try:
        event_kind = DeviceEventKind(kind)
    except ValueError:
        raise Unprocessable(f"unknown event kind {kind!r}") from None
    if not device.spec.may_send_event(event_kind):
        raise Unprocessable(f"a {device.device_type.value} does not send {kind}")
    if device_ts.tzinfo is None:
        raise Unprocessable("ts must carry a UTC offset")
    if device_ts > now + MAX_CLOCK_AHEAD:
        raise Unprocessable("ts is more than 5 minutes in the future")
    alarm_type = ALARM_TYPE_OF_EVENT[event_kind]
    async with uow, serialized_writes(uow, urgent=True):
        previous = await _receipt(uow, device.device_id, seq)
        if previous is not None:
            return DeviceEventResult(previous, duplicate=True)
        alarm, changes = await raise_or_repeat(
            uow,
            RaiseRequest(
                bed_id=device.bed_id,
                provider_id=device.provider_id,
                alarm_type=alarm_type.value,
                severity=ALARM_TYPES[alarm_type].severity,
                at=now,
                device_id=device.device_id,
                detail=f"{kind} from {device.device_type.value} at {device_ts.isoformat()}",
            ),
        )
        await uow.session.execute(
            insert(device_event_receipts).values(
                device_id=device.device_id, seq=seq, alarm_id=alarm.alarm_id, received_at=now
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            # a concurrent retry of the same seq won (another instance): answer with its alarm
            await uow.rollback()
            previous = await _receipt(uow, device.device_id, seq)
            if previous is None:
                raise
            return DeviceEventResult(previous, duplicate=True)
    observe_metrics(alarm, changes)
    return DeviceEventResult(alarm, duplicate=False)


async def _receipt(uow: UnitOfWork, device_id: str, seq: int) -> Alarm | None:
    alarm_id = await uow.session.scalar(
        select(device_event_receipts.c.alarm_id).where(
            device_event_receipts.c.device_id == device_id, device_event_receipts.c.seq == seq
        )
    )
    return None if alarm_id is None else await repo.get_alarm(uow, alarm_id)
