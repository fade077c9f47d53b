"""Warm the alarm lane before it serves: the first falls after a start must not pay for it.

A fresh process opens its database connections lazily (each new asyncpg connection costs a
handshake and the dialect's first queries) and prepares each statement once per connection;
before this, the first 15 s of `make bench-alarm` were its slowest window. So before the
process answers, `warm_connections` connections are opened at once and the alarm lane's reads
are run on each (ids that match nothing: nothing is locked or written).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from chassis.db import UnitOfWork
from iot_ingest.repository.alarms import AlarmRepository
from iot_ingest.repository.devices import BedRepository
from iot_ingest.repository.monitoring import EscalationPolicyRepository
from iot_ingest.telemetry.auth import DeviceAuthenticator

logger = logging.getLogger(__name__)
NOTHING = "warm-up-matches-nothing"


async def warm_up_alarm_lane(
    *,
    uow_factory: Callable[[], UnitOfWork],
    authenticator: DeviceAuthenticator,
    connections: int,
    within_seconds: float = 15.0,
) -> None:
    """Best effort: a database that is not there yet only means a colder start."""

    async def one_connection() -> None:
        async with uow_factory() as uow:  # concurrent units of work: one connection each
            await uow.repo(BedRepository).get(NOTHING)
            alarms = uow.repo(AlarmRepository)
            await alarms.receipt(NOTHING, 0)
            await alarms.find_active(NOTHING, NOTHING)
            await uow.repo(EscalationPolicyRepository).for_provider(NOTHING)

    if connections <= 0:
        return
    try:
        async with asyncio.timeout(within_seconds):
            await asyncio.gather(*(one_connection() for _ in range(connections)))
            await authenticator.warm_up()
    except Exception:
        logger.warning("warming up the alarm lane failed; starting cold", exc_info=True)
