"""Device token caches of other processes told at once (PostgreSQL LISTEN/NOTIFY).

The alarm lane, the telemetry lane and the worker are separate processes, each with its own
`DeviceAuthenticator` cache. A change that must stop a device's data now — a camera suspended
because its video consent was withdrawn (000 §三(三)), a token revoked or rotated, a bed handed
to another provider — is announced with `pg_notify` in the transaction that makes it, so it is
delivered on commit and never for a change rolled back. Every process listens and evicts the
device. While its listening connection is down a process cannot know what it missed: it empties
its cache when it (re)connects, and the cache TTL (`device_cache_seconds`) remains the bound.
SQLite (development, one process at a time) announces nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import dialect_name

logger = logging.getLogger(__name__)
CHANNEL = "iot_device_cache"
# a NOTIFY payload holds under 8,000 bytes: device ids (uuids) go in chunks well below that
IDS_PER_NOTICE = 100
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)


async def announce_devices(session: AsyncSession, device_ids: Collection[str]) -> None:
    """Tell every process's token cache to forget these devices once this transaction commits."""
    if not device_ids or dialect_name(session) != "postgresql":
        return
    ids = sorted(device_ids)
    for start in range(0, len(ids), IDS_PER_NOTICE):
        chunk = ",".join(ids[start : start + IDS_PER_NOTICE])
        await session.execute(select(func.pg_notify(CHANNEL, chunk)))


def asyncpg_dsn(database_url: str) -> str | None:
    """The plain PostgreSQL DSN of a SQLAlchemy URL; None for SQLite."""
    url = make_url(database_url)
    if not url.drivername.startswith("postgresql"):
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class DeviceCacheListener:
    """Evicts announced devices from this process's caches (`forget(device_id)`) and empties
    them (`forget_all()`) on every (re)connection."""

    def __init__(
        self,
        dsn: str,
        *,
        forget: Callable[[str], None],
        forget_all: Callable[[], None],
    ) -> None:
        self._dsn = dsn
        self._forget = forget
        self._forget_all = forget_all
        self.listening = asyncio.Event()  # set while a connection listens (tests, readiness)

    def _on_notice(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        for device_id in payload.split(","):
            if device_id:
                self._forget(device_id)

    async def run_forever(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen_until_lost()
                attempt = 0
                logger.warning("device cache listener lost its connection; reconnecting")
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away or restarting: the TTL bounds the cache meanwhile
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                logger.warning("device cache listener cannot listen; retrying in %.1f s", delay)
                await asyncio.sleep(delay)

    async def _listen_until_lost(self) -> None:
        conn = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._on_notice)
            self._forget_all()  # whatever was announced while nobody listened
            self.listening.set()
            await lost.wait()
        finally:
            self.listening.clear()
            if not conn.is_closed():
                await conn.close()
