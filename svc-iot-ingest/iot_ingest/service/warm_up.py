"""Warm the alarm lane before it serves: the first falls after a start must not pay for it.

A fresh process opens its database connections lazily (a handshake and the dialect's first
queries each) and PostgreSQL prepares each statement once per connection, on its first use.
So `warm_connections` connections are opened at once, and on each the alarm lane runs a fall
as it would (the device by its token, its bed, the receipt, the policy, the alarm raised then repeated, the outbox, the
feed, the receipt) in a transaction that is rolled back: nothing is written, nothing is sent.
Run before the server accepts requests, and again once Kafka is connected (an alarm event then
takes the express path, whose INSERT also lists the earlier events of its key).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from chassis.db import UnitOfWork
from chassis.upsert import dialect_name
from iot_ingest.domain.alarm_types import ALARM_TYPE_OF_EVENT, ALARM_TYPES
from iot_ingest.domain.catalogue import DeviceEventKind
from iot_ingest.domain.device_tokens import hash_token
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.device_lane import DeviceLaneRepository
from iot_ingest.repository.devices import BedRepository
from iot_ingest.service.alarm_changes import RaiseRequest, raise_or_repeat
from iot_ingest.telemetry.auth import DeviceAuthenticator

logger = logging.getLogger(__name__)
NOTHING = "warm-up"  # matches no bed, device or provider (ids fit their columns)
_FALL = ALARM_TYPE_OF_EVENT[DeviceEventKind.FALL_DETECTED]


async def warm_up_alarm_lane(
    *,
    uow_factory: Callable[[], UnitOfWork],
    authenticator: DeviceAuthenticator,
    connections: int,
    now: datetime,
    within_seconds: float = 15.0,
) -> None:
    """Best effort: a database that is not there yet only means a colder start."""

    async def one_connection() -> None:
        async with uow_factory() as uow:  # one connection each; never committed: rolled back
            if dialect_name(uow) != "postgresql":
                return  # SQLite: no connection to open, no statement to prepare, one writer
            await uow.repo(BedRepository).get(NOTHING)
            lane = await uow.repo(DeviceLaneRepository).context(
                token_hash=hash_token(NOTHING), seq=0, alarm_type=_FALL.value
            )
            alarms = uow.repo(AlarmRepository)
            await alarms.receipt(NOTHING, 0)
            alarms.hold_inserts()  # as the lane: the new rows with one statement
            fall = RaiseRequest(
                bed_id=f"{NOTHING}-{uuid.uuid4().hex}",
                provider_id=NOTHING,
                alarm_type=_FALL.value,
                severity=ALARM_TYPES[_FALL].severity,
                at=now,
                device_id=NOTHING,
            )
            alarm, _ = await raise_or_repeat(uow, fall, policy=lane.policy)  # raised: INSERT
            await alarms.add_receipt(device_id=NOTHING, seq=0, alarm_id=alarm.alarm_id, at=now)
            await alarms.send_held()
            await raise_or_repeat(uow, fall, policy=lane.policy)  # repeated: row lock, UPDATE
            await alarms.add_receipt(device_id=NOTHING, seq=1, alarm_id=alarm.alarm_id, at=now)
            await alarms.send_held()

    if connections <= 0:
        return
    try:
        async with asyncio.timeout(within_seconds):
            await asyncio.gather(*(one_connection() for _ in range(connections)))
            await authenticator.warm_up()
    except Exception:
        logger.warning("warming up the alarm lane failed; starting cold", exc_info=True)
