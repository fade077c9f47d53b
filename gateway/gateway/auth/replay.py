"""Replay memory for signed partner requests: a signature is accepted once within its window.

An entry lives exactly until its timestamp leaves the window and is never dropped before: a
full memory refuses new requests (fail closed) rather than forget a live signature, since a
forgotten one could be replayed. Per-key rate limits bound how many can be live at once.

With one gateway, `MemoryReplayGuard` suffices. With several replicas each must see the others'
signatures, so `DatabaseReplayGuard` records them in the gateway database the replicas share
(`HOMEBED_GATEWAY_REPLAY_STORE=database`, PostgreSQL): a unique row per signature until expiry.
"""

from __future__ import annotations

import heapq
from typing import Protocol

from sqlalchemy import BigInteger, Column, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine


class ReplayMemoryFull(Exception):
    """More live signatures than the memory may hold: refuse rather than forget one."""


class ReplayGuard(Protocol):
    async def first_use(self, token: str, *, expires_at: int, now: float) -> bool:
        """Record `token`; False when it was already recorded and has not expired."""
        ...


class MemoryReplayGuard:
    """In-process memory; expired entries leave in expiry order (a heap), live ones never."""

    def __init__(self, max_live: int = 1_000_000) -> None:
        self._expiry: dict[str, int] = {}
        self._by_expiry: list[tuple[int, str]] = []
        self._max_live = max_live

    def __len__(self) -> int:
        return len(self._expiry)

    def seen(self, token: str, now: float) -> bool:
        expiry = self._expiry.get(token)
        return expiry is not None and expiry > now

    async def first_use(self, token: str, *, expires_at: int, now: float) -> bool:
        self._forget_expired(now)
        if token in self._expiry:
            return False
        if len(self._expiry) >= self._max_live:
            raise ReplayMemoryFull(f"{len(self._expiry)} live signatures")
        self._expiry[token] = expires_at
        heapq.heappush(self._by_expiry, (expires_at, token))
        return True

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            expiry, token = heapq.heappop(self._by_expiry)
            if self._expiry.get(token) == expiry:
                del self._expiry[token]


metadata = MetaData()
replays = Table(
    "partner_request_replays",
    metadata,
    Column("token", String(100), primary_key=True),
    Column("expires_at", BigInteger, nullable=False, index=True),
)


class DatabaseReplayGuard:
    """Shared by every replica on one database; a local memory answers its own replays first."""

    def __init__(
        self, engine: AsyncEngine, *, purge_every: int = 1000, max_live: int = 1_000_000
    ) -> None:
        self._engine = engine
        self._local = MemoryReplayGuard(max_live=max_live)
        self._purge_every = purge_every
        self._since_purge = 0

    async def first_use(self, token: str, *, expires_at: int, now: float) -> bool:
        if self._local.seen(token, now):
            return False
        self._since_purge += 1
        if self._since_purge >= self._purge_every:
            self._since_purge = 0
            await self.purge(now)
        try:
            async with self._engine.begin() as connection:
                await connection.execute(insert(replays).values(token=token, expires_at=expires_at))
        except IntegrityError:
            # The signature covers its timestamp, so a row with this token expires exactly when
            # this request would: a conflict is always a live replay, seen by some replica.
            return False
        await self._local.first_use(token, expires_at=expires_at, now=now)
        return True

    async def purge(self, now: float) -> int:
        """Delete rows whose window has ended; returns how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(replays).where(replays.c.expires_at <= int(now))
            )
        return int(result.rowcount or 0)
