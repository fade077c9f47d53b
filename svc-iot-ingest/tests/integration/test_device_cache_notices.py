"""A device change made in one process reaches the token cache of another at once (PostgreSQL
LISTEN/NOTIFY), not after `device_cache_seconds`: a camera suspended for a withdrawn video
consent (000 §三(三)) must stop being accepted by every lane now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from iot_ingest.repository.devices import DeviceRepository
from iot_ingest.settings import Settings
from iot_ingest.telemetry.auth import DeviceAuthenticator
from iot_ingest.telemetry.cache_invalidation import CHANNEL, DeviceCacheListener, asyncpg_dsn
from iot_ingest.testing import QUIET_LOOPS, Iot, running_iot

pytestmark = [pytest.mark.postgres]
WAIT_SECONDS = 30  # a bound for a loaded machine, never a pause: each wait ends on its event
MONITOR = "vital_signs_monitor"


@pytest.fixture
async def iot(postgres_url: str) -> AsyncIterator[Iot]:
    settings = Settings(
        database_url=postgres_url, kafka_enabled=False, device_cache_seconds=3600, **QUIET_LOOPS
    )
    async with running_iot(settings) as running:
        yield running


class OtherProcess:
    """Another lane's token cache with its listener, recording what it was told."""

    def __init__(self, iot: Iot) -> None:
        self.cache = DeviceAuthenticator(iot.runtime.uow, ttl_seconds=3600)
        self.forgotten: asyncio.Queue[str] = asyncio.Queue()
        self.emptied: asyncio.Queue[None] = asyncio.Queue()
        dsn = asyncpg_dsn(iot.settings.database_url)
        assert dsn is not None
        self.listener = DeviceCacheListener(dsn, forget=self._forget, forget_all=self._empty)

    def _forget(self, device_id: str) -> None:
        self.cache.invalidate_device(device_id)
        self.forgotten.put_nowait(device_id)

    def _empty(self) -> None:
        self.cache.clear()
        self.emptied.put_nowait(None)

    async def next_forgotten(self) -> str:
        return await asyncio.wait_for(self.forgotten.get(), WAIT_SECONDS)

    async def next_emptied(self) -> None:
        await asyncio.wait_for(self.emptied.get(), WAIT_SECONDS)


async def suspend(iot: Iot, bed_id: str, *, commit: bool) -> list[str]:
    async with iot.runtime.uow() as uow:
        ids = await uow.repo(DeviceRepository).suspend_for_consent(
            bed_id, "video", [MONITOR], at=iot.runtime.clock()
        )
        if commit:
            await uow.commit()
    return ids


async def test_a_suspension_elsewhere_evicts_the_cached_token_at_once(iot: Iot) -> None:
    other, bystander = OtherProcess(iot), DeviceAuthenticator(iot.runtime.uow, ttl_seconds=3600)
    task = asyncio.create_task(other.listener.run_forever())
    try:
        await other.next_emptied()  # nothing announced before it listened can be trusted
        rolled_back_bed, bed = await iot.add_bed(), await iot.add_bed()
        kept = (await iot.add_device(rolled_back_bed, MONITOR))["token"]
        device = await iot.add_device(bed, MONITOR)
        for cache in (other.cache, bystander):
            for token in (kept, device["token"]):
                cached = await cache.authenticate(token)
                assert cached is not None
                assert cached.suspended_for is None

        assert await suspend(iot, rolled_back_bed, commit=False)  # announces nothing
        assert await suspend(iot, bed, commit=True) == [device["device_id"]]

        # notices arrive in commit order: the first one is the committed suspension's
        assert await other.next_forgotten() == device["device_id"]
        now = await other.cache.authenticate(device["token"])
        assert now is not None
        assert now.suspended_for == "video"
        still = await other.cache.authenticate(kept)
        assert still is not None
        assert still.suspended_for is None
        # without a listener the cache would have kept the stale answer for its TTL
        stale = await bystander.authenticate(device["token"])
        assert stale is not None
        assert stale.suspended_for is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_lost_listening_connection_empties_the_cache_when_back(iot: Iot) -> None:
    other = OtherProcess(iot)
    task = asyncio.create_task(other.listener.run_forever())
    try:
        await other.next_emptied()
        device = await iot.add_device(await iot.add_bed(), MONITOR)
        cached = await other.cache.authenticate(device["token"])
        assert cached is not None
        assert cached.suspended_for is None
        dsn = asyncpg_dsn(iot.settings.database_url)
        assert dsn is not None
        admin = await asyncpg.connect(dsn)
        try:
            # a change nobody announces (as one made while the listener was away would be)
            await admin.execute(
                "UPDATE devices SET suspended_for = 'video' WHERE device_id = $1",
                device["device_id"],
            )
            still = await other.cache.authenticate(device["token"])
            assert still is not None
            assert still.suspended_for is None
            ended = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE query LIKE $1 AND pid <> pg_backend_pid()",
                f"LISTEN%{CHANNEL}%",
            )
        finally:
            await admin.close()
        assert ended >= 1
        await other.next_emptied()  # reconnected: what it may have missed is forgotten
        fresh = await other.cache.authenticate(device["token"])
        assert fresh is not None
        assert fresh.suspended_for == "video"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
