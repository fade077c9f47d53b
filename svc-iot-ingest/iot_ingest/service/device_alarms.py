"""The alarm lane: a device event raises (or repeats) an alarm at once, idempotent by seq."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork
from chassis.errors import Unprocessable
from chassis.write_lock import serialized_writes
from iot_ingest.domain.alarm_types import ALARM_TYPE_OF_EVENT, ALARM_TYPES
from iot_ingest.domain.alarms.lifecycle import Alarm
from iot_ingest.domain.catalogue import DeviceEventKind
from iot_ingest.domain.validation import MAX_CLOCK_AHEAD
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.device_lane import DeviceLaneRepository
from iot_ingest.service.alarm_changes import RaiseRequest, observe_metrics, raise_or_repeat
from iot_ingest.telemetry.auth import DeviceAuth


@dataclass(frozen=True)
class DeviceEventResult:
    device: DeviceAuth
    alarm: Alarm
    duplicate: bool
    bed_status: str | None = None
    bed_in_service: bool = True


async def raise_from_device_event(
    *,
    uow: UnitOfWork,
    token_hash: str,
    admit: Callable[[DeviceAuth | None], DeviceAuth],
    seq: int,
    kind: str,
    device_ts: datetime,
    now: datetime,
) -> DeviceEventResult:
    """Raise the event's alarm now (database + outbox); a retried seq returns the same alarm.

    The device is read by its token in the transaction's first query, with everything else
    the raise needs (`DeviceLaneRepository`); `admit` judges what was read (401 for no valid
    device, 409 for one suspended for a missing consent) and caches it, before anything is
    written. A fall detector posts rarely, so its token is seldom in the cache: reading it in
    a transaction of its own cost a fall three more round trips.
    """
    try:
        event_kind = DeviceEventKind(kind)
    except ValueError:
        raise Unprocessable.field("body.kind", f"unknown event kind {kind!r}") from None
    alarm_type = ALARM_TYPE_OF_EVENT[event_kind]
    async with uow, serialized_writes(uow, urgent=True):
        # the device and its bed's state as of now (not the token cache's): a bed changing
        # state (suspended, just resumed, ended) never loses a safety event; the answer says
        # it. With them, in the same round trip, a receipt of this (device, seq), the
        # provider's policy and whether the bed has an active alarm of the type already
        lane = await uow.repo(DeviceLaneRepository).context(
            token_hash=token_hash, seq=seq, alarm_type=alarm_type.value
        )
        device = admit(lane.device)
        if not device.spec.may_send_event(event_kind):
            raise Unprocessable.field(
                "body.kind", f"a {device.device_type.value} does not send {kind}"
            )
        if device_ts.tzinfo is None:
            raise Unprocessable.field("body.ts", "ts must carry a UTC offset")
        if device_ts > now + MAX_CLOCK_AHEAD:
            raise Unprocessable.field("body.ts", "ts is more than 5 minutes in the future")
        bed = lane.bed
        status, in_service = (bed.status, bed.active) if bed is not None else (None, False)
        alarms = uow.repo(AlarmRepository)
        if lane.previous_alarm_id is not None:
            previous = await alarms.get(lane.previous_alarm_id)
            if previous is not None:
                return DeviceEventResult(device, previous, True, status, in_service)
        alarms.hold_inserts()  # the new rows go with one statement, right before the commit
        alarm, changes = await raise_or_repeat(
            uow,
            RaiseRequest(
                bed_id=device.bed_id,
                # the bed's provider now: the token cache may predate a provider change
                provider_id=bed.provider_id if bed is not None else device.provider_id,
                alarm_type=alarm_type.value,
                severity=ALARM_TYPES[alarm_type].severity,
                at=now,
                device_id=device.device_id,
                detail=f"{kind} from {device.device_type.value} at {device_ts.isoformat()}",
                region_code=bed.region_code if bed is not None else None,
            ),
            policy=lane.policy,  # the lane read the policy of that provider
            no_active_alarm=lane.active_alarm_id is None,
        )
        await alarms.add_receipt(
            device_id=device.device_id, seq=seq, alarm_id=alarm.alarm_id, at=now
        )
        try:
            await alarms.send_held()
            await uow.commit()
        except IntegrityError:
            # a concurrent retry of the same seq won (another instance): answer with its alarm
            await uow.rollback()
            previous = await uow.repo(AlarmRepository).receipt(device.device_id, seq)
            if previous is None:
                raise
            return DeviceEventResult(device, previous, True, status, in_service)
    observe_metrics(alarm, changes)
    return DeviceEventResult(device, alarm, False, status, in_service)
