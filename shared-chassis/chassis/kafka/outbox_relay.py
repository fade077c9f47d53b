"""Publishes outbox rows in order, in batches, and marks them sent once Kafka acknowledged them.

A crash between the acknowledgement and the mark republishes the batch: consumers dedupe by
event id, so delivery is at-least-once with exactly-once effects.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import ColumnElement, Row, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chassis.db import ChassisTables, OutboxSignal
from chassis.observability.metrics import (
    KAFKA_PRODUCE_ERRORS,
    KAFKA_PRODUCED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
)

logger = logging.getLogger(__name__)

SENT_RETENTION = timedelta(days=1)
_LOST_RACE_RETRIES = 20
_LOST_RACE_PAUSE = 0.05


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        producer: AIOKafkaProducer,
        signal: OutboxSignal,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
        in_flight: Callable[[], frozenset[str]] | None = None,
        poll_min_age_seconds: float = 0.0,
    ) -> None:
        self._service = service
        self._session_factory = session_factory
        self._outbox = tables.outbox
        self._producer = producer
        self._signal = signal
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        # event ids the express publisher of this process is sending (chassis.kafka.express)
        self._in_flight = in_flight or frozenset
        # a round started by the poll (not by this process's own commit) leaves the rows younger
        # than this: other processes' express events, in flight there (duplicates otherwise)
        self._poll_min_age = poll_min_age_seconds
        self.leader = False  # whether the last round held the one-relay-per-database lock
        # One relay per database at a time keeps per-key order across replicas (PostgreSQL).
        self._lock_id = zlib.crc32(f"homebed-outbox-{service}".encode())
        self._last_cleanup = datetime.now(UTC)

    async def run_forever(self) -> None:
        backoff = self._poll_seconds
        woken = True  # the first round takes whatever waits
        lost_races = 0
        while True:
            try:
                min_age = 0.0 if woken else self._poll_min_age
                published = await self.publish_batch(min_age_seconds=min_age)
                backoff = self._poll_seconds
                if not self.leader and woken and lost_races < _LOST_RACE_RETRIES:
                    # another relay holds the lock (its poll): this process's own events were
                    # just committed, and that poll may leave them (too young): try again soon
                    lost_races += 1
                    await asyncio.sleep(_LOST_RACE_PAUSE)
                    continue
                lost_races = 0
                if published < self._batch_size:
                    woken = await self._signal.wait_at_most(self._poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("outbox relay cycle failed; retrying", exc_info=True)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def publish_batch(self, *, min_age_seconds: float = 0.0) -> int:
        """Publish up to one batch of unsent rows (at least `min_age_seconds` old); returns how
        many were marked sent."""
        async with self._session_factory() as session, session.begin():
            self.leader = await self._take_leadership(session)
            if not self.leader:
                return 0
            unsent: list[ColumnElement[bool]] = [self._outbox.c.sent_at.is_(None)]
            in_flight = self._in_flight()
            if in_flight:
                unsent.append(self._outbox.c.event_id.not_in(in_flight))
            if min_age_seconds > 0:
                born_before = datetime.now(UTC) - timedelta(seconds=min_age_seconds)
                unsent.append(self._outbox.c.created_at < born_before)
            rows = (
                await session.execute(
                    select(
                        self._outbox.c.id,
                        self._outbox.c.topic,
                        self._outbox.c.key,
                        self._outbox.c.payload,
                        self._outbox.c.headers,
                    )
                    .where(*unsent)
                    .order_by(self._outbox.c.id)
                    .limit(self._batch_size)
                )
            ).all()
            sent_ids = await self._send_in_order(rows) if rows else []
            if sent_ids:
                await self._mark_sent(session, sent_ids)
            backlog, oldest = (
                await session.execute(
                    select(func.count(), func.min(self._outbox.c.created_at)).where(
                        self._outbox.c.sent_at.is_(None)
                    )
                )
            ).one()
            await self._cleanup(session)
        OUTBOX_BACKLOG.labels(self._service).set(backlog or 0)
        # The age of the oldest unsent event: a backlog that is large but moving is fine, one
        # event stuck for a minute is not (alert HomeBedOutboxStale).
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST_AGE.labels(self._service).set(max(0.0, age))
        return len(sent_ids)

    async def _mark_sent(self, session: AsyncSession, ids: list[int]) -> None:
        await session.execute(
            update(self._outbox).where(self._outbox.c.id.in_(ids)).values(sent_at=datetime.now(UTC))
        )

    async def backlog(self) -> int:
        async with self._session_factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(self._outbox)
                .where(self._outbox.c.sent_at.is_(None))
            )
        return int(count or 0)

    async def _take_leadership(self, session: AsyncSession) -> bool:
        if session.get_bind().dialect.name != "postgresql":
            return True
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:lock_id)"), {"lock_id": self._lock_id}
        )
        return bool(taken)

    async def _send_in_order(self, rows: Sequence[Row[Any, Any, Any, Any, Any]]) -> list[int]:
        """Send all rows (the producer keeps per-partition order), then await the acks.

        Only the prefix up to the first failure counts as sent, so a later event for a key never
        overtakes an earlier one that must be retried.
        """
        futures = []
        for row in rows:
            headers = [(k, str(v).encode()) for k, v in (row.headers or {}).items()]
            futures.append(
                await self._producer.send(
                    row.topic, value=row.payload, key=row.key.encode(), headers=headers
                )
            )
        results = await asyncio.gather(*futures, return_exceptions=True)
        sent: list[int] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                KAFKA_PRODUCE_ERRORS.labels(self._service, row.topic).inc()
                logger.warning(
                    "outbox publish failed", extra={"topic": row.topic, "error": repr(result)}
                )
                break
            KAFKA_PRODUCED.labels(self._service, row.topic).inc()
            OUTBOX_PUBLISHED.labels(self._service, row.topic).inc()
            sent.append(row.id)
        return sent

    async def _cleanup(self, session: AsyncSession) -> None:
        now = datetime.now(UTC)
        if now - self._last_cleanup < timedelta(minutes=10):
            return
        self._last_cleanup = now
        await session.execute(
            delete(self._outbox).where(self._outbox.c.sent_at < now - SENT_RETENTION)
        )
