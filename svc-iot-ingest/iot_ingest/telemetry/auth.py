"""Device token check for the device lanes, with a short cache so the hot path rarely queries.

Revoking or rotating takes effect at once here and, on PostgreSQL, in the other processes too
(`cache_invalidation`: LISTEN/NOTIFY); the cache TTL (default 30 s) bounds what a lost notice
leaves. A bed's state never makes a valid token invalid: a device of a suspended or
ended bed is still authenticated (its safety events must not be lost), and the lanes say in
their answers that the bed is not in service. A device suspended for a missing consent (a
camera whose video consent was withdrawn, 000 §三(三)) is authenticated too, and the lane refuses
its data with a problem naming the consent; a withdrawal reaches every cache the same way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from chassis.db import UnitOfWork
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.catalogue import DeviceSpec, spec_of
from iot_ingest.domain.device_tokens import hash_token
from iot_ingest.tables import beds, devices

logger = logging.getLogger(__name__)
NEGATIVE_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class DeviceAuth:
    device_id: str
    bed_id: str
    provider_id: str
    device_type: DeviceType
    spec: DeviceSpec
    last_seq: int
    # the bed's state (cached like the token): a bed not in service still gets its devices'
    # events (safety first); the answers say so
    bed_status: str | None = None
    bed_in_service: bool = True
    # a consent the device needs is not in force (the scope): its data is refused, with a
    # problem naming the consent rather than a 401 (the token itself is valid)
    suspended_for: str | None = None


@dataclass(frozen=True)
class Cached:
    auth: DeviceAuth | None  # None: the token is not valid (cached for NEGATIVE_TTL_SECONDS)


# What a device's authentication reads: its row and its bed's state (`device_auth_from_row`).
DEVICE_AUTH_COLUMNS = (
    devices.c.device_id,
    devices.c.bed_id,
    devices.c.provider_id,
    devices.c.device_type,
    devices.c.last_seq,
    devices.c.suspended_for,
    beds.c.status.label("bed_status"),
    beds.c.active.label("bed_active"),
)


def device_auth_from_row(row: Any) -> DeviceAuth:
    device_type = DeviceType(row.device_type)
    return DeviceAuth(
        device_id=row.device_id,
        bed_id=row.bed_id,
        provider_id=row.provider_id,
        device_type=device_type,
        spec=spec_of(device_type),
        last_seq=int(row.last_seq),
        bed_status=row.bed_status,
        bed_in_service=bool(row.bed_active),
        suspended_for=row.suspended_for,
    )


@dataclass
class _Entry:
    auth: DeviceAuth | None
    expires: float
    refresh_after: float  # a request after this refreshes it in the background


# A known token is read again in the background once 80% of its time in the cache has passed:
# a device sending every few seconds never waits for that read (four round trips, a fall's
# slowest part on a busy machine), and a revocation elsewhere still counts within the TTL.
REFRESH_AT = 0.8


class DeviceAuthenticator:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        ttl_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._ttl = ttl_seconds
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._due: set[str] = set()  # token hashes to read again in the background
        self._reading: set[str] = set()  # ... being read now
        self._refresher: asyncio.Task[None] | None = None

    async def authenticate(self, token: str) -> DeviceAuth | None:
        token_hash = hash_token(token)
        cached = self.cached(token_hash)
        if cached is not None:
            return cached.auth
        auth = await self._lookup(token_hash)
        self.remember(token_hash, auth)
        return auth

    def cached(self, token_hash: str) -> Cached | None:
        """What the cache knows of the token (a valid device, or `auth=None`: not valid);
        None when it must be read. A known token is refreshed in the background when due."""
        now = self._clock()
        entry = self._cache.get(token_hash)
        if entry is None or entry.expires <= now:
            return None
        if entry.auth is not None and entry.refresh_after <= now:
            self._refresh_in_background(token_hash)
        return Cached(entry.auth)

    def remember(self, token_hash: str, auth: DeviceAuth | None) -> None:
        """Cache what a read of the token found (here, or by a lane reading it with its own
        first query: the alarm lane)."""
        self._store(token_hash, auth, self._clock())

    def _store(self, token_hash: str, auth: DeviceAuth | None, now: float) -> None:
        ttl = self._ttl if auth is not None else min(self._ttl, NEGATIVE_TTL_SECONDS)
        if len(self._cache) > 100_000:
            self._cache = {k: e for k, e in self._cache.items() if e.expires > now}
        self._cache[token_hash] = _Entry(auth, now + ttl, now + ttl * REFRESH_AT)

    def _refresh_in_background(self, token_hash: str) -> None:
        if token_hash in self._due or token_hash in self._reading:
            return
        self._due.add(token_hash)
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.create_task(self._refresh_due())

    async def _refresh_due(self) -> None:
        """Read the tokens due for a refresh, as many as are due with one query: devices
        that started together fall due together (20 reads at once took 20 connections, half
        of them opened for the occasion and closed after), and under load the ones falling
        due while a read is out wait for the next."""
        while self._due:
            self._reading, self._due = self._due, set()
            try:
                found = await self._lookup_many(self._reading)
            except Exception:  # the entries expire as they would have; requests read them
                logger.warning("refreshing device tokens failed", exc_info=True)
                continue
            finally:
                reading, self._reading = self._reading, set()
            now = self._clock()
            for token_hash in reading:
                if token_hash in self._cache:  # not invalidated meanwhile (revoked, rotated)
                    self._store(token_hash, found.get(token_hash), now)

    def invalidate_device(self, device_id: str) -> None:
        self._cache = {
            k: e for k, e in self._cache.items() if e.auth is None or e.auth.device_id != device_id
        }

    def clear(self) -> None:
        self._cache.clear()

    async def settle(self) -> None:
        """Wait for the background refreshes in progress (tests, shutdown)."""
        while self._refresher is not None and not self._refresher.done():
            await asyncio.gather(self._refresher, return_exceptions=True)

    async def warm_up(self) -> None:
        """Run the token lookup once (prepares it), caching nothing."""
        await self._lookup("0" * 64)

    async def _lookup(self, token_hash: str) -> DeviceAuth | None:
        async with self._uow_factory() as uow:
            row = (await uow.session.execute(_LOOKUP, {"token_hash": token_hash})).first()
        return None if row is None else device_auth_from_row(row)

    async def _lookup_many(self, token_hashes: set[str]) -> dict[str, DeviceAuth]:
        """The valid devices among the tokens (absent: not valid any more)."""
        found: dict[str, DeviceAuth] = {}
        ordered = sorted(token_hashes)
        async with self._uow_factory() as uow:
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                chunk = ordered[start : start + LOOKUP_CHUNK]
                rows = await uow.session.execute(_LOOKUP_MANY, {"token_hashes": chunk})
                found.update((row.token_hash, device_auth_from_row(row)) for row in rows)
        return found


# built once with a bound parameter: a statement built per call costs SQLAlchemy about as much
# again as running it (cache keys over every value)
_LOOKUP = (
    select(*DEVICE_AUTH_COLUMNS)
    .outerjoin(beds, beds.c.bed_id == devices.c.bed_id)
    .where(devices.c.token_hash == bindparam("token_hash"), devices.c.status == "active")
)
LOOKUP_CHUNK = 500
_LOOKUP_MANY = (
    select(*DEVICE_AUTH_COLUMNS, devices.c.token_hash)
    .outerjoin(beds, beds.c.bed_id == devices.c.bed_id)
    .where(
        devices.c.token_hash.in_(bindparam("token_hashes", expanding=True)),
        devices.c.status == "active",
    )
)
