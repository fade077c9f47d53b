"""Express publishing: a committed transaction hands its urgent events to the producer at once.

The outbox relay is woken by a commit, then takes the relay lock, selects the unsent rows, sends,
waits for the acknowledgements and marks them in its own transaction: a few database round trips
and a lock that every replica's relay (and the telemetry worker's) competes for stand between a
fall's commit and Kafka. An event staged with `uow.emit(..., express=True)` skips all that: right
after the commit, the request that committed it sends it on the service's producer; once Kafka
acknowledged it, a background task marks its outbox row sent (many rows per statement).

The row stays in the outbox until then, so the relay remains the fallback: a crash before the
mark, a failed send or a failed mark leaves the row unsent and the relay publishes it again
(consumers dedupe by event id). The relay of this process skips the rows in flight here.

Per-key order: an event goes express only when no earlier event of its key is waiting in the
outbox (other than ones this process already handed to the same producer, which keeps their
order); otherwise it waits for the relay behind them. After a failed send, express is off for a
while so the relay drains the backlog in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chassis.db import ChassisTables, OutboxSignal, StagedEvent
from chassis.observability.metrics import (
    KAFKA_PRODUCE_ERRORS,
    KAFKA_PRODUCED,
    OUTBOX_EXPRESS,
    OUTBOX_PUBLISHED,
)

logger = logging.getLogger(__name__)
_REMEMBER_ACKNOWLEDGED_SECONDS = 60.0


class ExpressPublisher:
    def __init__(
        self,
        *,
        service: str,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        producer: AIOKafkaProducer,
        signal: OutboxSignal,
        pause_after_failure_seconds: float = 5.0,
        mark_every_seconds: float = 0.5,
    ) -> None:
        self._service = service
        self._session_factory = session_factory
        self._outbox = tables.outbox
        self._producer = producer
        self._signal = signal
        self._pause_after_failure = pause_after_failure_seconds
        self._mark_every = mark_every_seconds
        self._paused_until = 0.0
        self._in_flight: set[str] = set()  # handed to the producer, row not yet marked sent
        # acknowledged by Kafka, when (monotonic): kept a minute, see may_overtake
        self._acknowledged: dict[str, float] = {}
        self._acked: list[str] = []
        self._acked_ready = asyncio.Event()
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def usable(self) -> bool:
        """False for a while after a failed send: the relay publishes meanwhile, in order."""
        return time.monotonic() >= self._paused_until

    def in_flight(self) -> frozenset[str]:
        """Event ids handed to the producer whose rows are not marked yet (the relay skips them)."""
        return frozenset(self._in_flight)

    def may_overtake(self, earlier: Sequence[str]) -> bool:
        """True when every earlier event of the key still unsent in the database was handed to
        this producer already (it keeps their order) or even acknowledged (its mark may be
        committing right now, unseen by the statement that listed it)."""
        return all(e in self._in_flight or e in self._acknowledged for e in earlier)

    async def hand_off(self, events: Sequence[StagedEvent]) -> None:
        """Send committed events now; never raises (what fails is left to the relay)."""
        self._in_flight.update(e.event_id for e in events)
        futures: list[asyncio.Future[object]] = []
        try:
            for event in events:
                futures.append(
                    await self._producer.send(
                        event.topic,
                        value=event.payload,
                        key=event.key.encode(),
                        headers=[(k, v.encode()) for k, v in event.headers.items()],
                    )
                )
        except Exception as exc:
            self._failed(events[len(futures) :], exc)
        if futures:
            OUTBOX_EXPRESS.labels(self._service, "handed").inc(len(futures))
            task = asyncio.create_task(self._await_acks(events[: len(futures)], futures))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _await_acks(
        self, events: Sequence[StagedEvent], futures: list[asyncio.Future[object]]
    ) -> None:
        results = await asyncio.gather(*futures, return_exceptions=True)
        for event, result in zip(events, results, strict=True):
            if isinstance(result, BaseException):
                self._failed([event], result)
                continue
            KAFKA_PRODUCED.labels(self._service, event.topic).inc()
            OUTBOX_PUBLISHED.labels(self._service, event.topic).inc()
            self._acked.append(event.event_id)
            self._acknowledged[event.event_id] = time.monotonic()
        if self._acked:
            self._acked_ready.set()

    def _failed(self, events: Sequence[StagedEvent], error: BaseException) -> None:
        if not events:
            return
        for event in events:
            self._in_flight.discard(event.event_id)
            KAFKA_PRODUCE_ERRORS.labels(self._service, event.topic).inc()
        OUTBOX_EXPRESS.labels(self._service, "failed").inc(len(events))
        logger.warning(
            "express publish failed; the outbox relay takes over",
            extra={"events": len(events), "error": repr(error)},
        )
        self._paused_until = time.monotonic() + self._pause_after_failure
        self._signal.notify()

    async def run_marker(self) -> None:
        """Mark acknowledged rows sent, all that gathered over `mark_every` in one statement.

        Nothing waits for the mark (the event is in Kafka already); a transaction per event
        would cost the alarm lane's process and the database more than the event itself.
        """
        while True:
            await self._acked_ready.wait()
            await asyncio.sleep(self._mark_every)
            self._acked_ready.clear()
            await self._mark_acked()

    async def _mark_acked(self) -> None:
        ids, self._acked = self._acked, []
        if not ids:
            return
        forget_before = time.monotonic() - _REMEMBER_ACKNOWLEDGED_SECONDS
        while self._acknowledged:
            oldest = next(iter(self._acknowledged))  # insertion order: oldest first
            if self._acknowledged[oldest] >= forget_before:
                break
            del self._acknowledged[oldest]
        try:
            async with self._session_factory() as session, session.begin():
                await session.execute(
                    update(self._outbox)
                    .where(self._outbox.c.event_id.in_(ids), self._outbox.c.sent_at.is_(None))
                    .values(sent_at=datetime.now(UTC))
                )
        except Exception:
            # left unsent: the relay publishes them again, and consumers skip the duplicates
            logger.warning("marking express events sent failed", exc_info=True)
        finally:
            self._in_flight.difference_update(ids)

    async def drain(self, within_seconds: float) -> None:
        """At shutdown: wait for the acknowledgements in progress and mark them."""
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=within_seconds)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._mark_acked(), within_seconds)
