"""A batch consumer whose offsets live in the service database, committed with the effects.

For topics too busy for one transaction per message (the `ConsumerRunner` strategy): a whole
poll (thousands of messages) is applied in one transaction that also stores the next offset per
partition, so a crash replays nothing twice and loses nothing. On assignment it seeks to the
stored offsets. A batch that keeps failing (`max_attempts`) is split: each record is applied in a
transaction of its own, and a record that still fails on a working database is parked in
`<topic>.dlq` with the runner's `x-error*` headers before the offset moves past it; failures of the
database or the network are never a reason to park anything. It shares its lifecycle (start, rebalance drain, stop, lag) with the runner
through `chassis.kafka.consumer_loop.ConsumerLoop`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    select,
)

from chassis.db import UnitOfWork
from chassis.kafka.consumer import PoisonMessage, dead_letter, is_transient, show_from_the_start
from chassis.kafka.consumer_loop import ConsumerLoop, Poll
from chassis.kafka.crash import crash_after_applied
from chassis.kafka.healing import HealingProducer
from chassis.observability.metrics import KAFKA_CONSUMED
from chassis.upsert import upsert
from chassis.write_lock import serialized_writes

logger = logging.getLogger(__name__)

Records = Sequence[ConsumerRecord[bytes, bytes]]
ApplyBatch = Callable[[UnitOfWork, Records], Awaitable[None]]
OnIdle = Callable[[], Awaitable[None]]
# (assigned partitions, partitions of the topic); awaited before the first batch when async
OnAssignment = Callable[[set[int], int], Awaitable[None] | None]


def consumer_offsets_table(metadata: MetaData) -> Table:
    """`consumer_offsets(group_id, topic, partition, next_offset)` in a service's metadata."""
    return Table(
        "consumer_offsets",
        metadata,
        Column("group_id", String(200), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("partition", Integer, nullable=False),
        Column("next_offset", BigInteger, nullable=False),
        PrimaryKeyConstraint("group_id", "topic", "partition", name="pk_consumer_offsets"),
    )


async def stored_offsets(
    uow: UnitOfWork, offsets: Table, group_id: str, topic: str
) -> dict[int, int]:
    rows = (
        await uow.session.execute(
            select(offsets.c.partition, offsets.c.next_offset).where(
                offsets.c.group_id == group_id, offsets.c.topic == topic
            )
        )
    ).all()
    return {int(r.partition): int(r.next_offset) for r in rows}


async def store_offsets(
    uow: UnitOfWork, offsets: Table, group_id: str, topic: str, next_offsets: dict[int, int]
) -> None:
    # one statement for every partition: a round trip per partition per batch adds up
    await upsert(
        uow,
        offsets,
        [
            {"group_id": group_id, "topic": topic, "partition": p, "next_offset": o}
            for p, o in sorted(next_offsets.items())
        ],
        keys=["group_id", "topic", "partition"],
    )


class BatchConsumer(ConsumerLoop):
    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        group_id: str,
        topic: str,
        offsets: Table,
        uow_factory: Callable[[], UnitOfWork],
        apply: ApplyBatch,
        on_failure: Callable[[], None] = lambda: None,
        on_idle: OnIdle | None = None,
        on_assignment: OnAssignment | None = None,
        start_latest: bool = False,
        max_records: int = 5000,
        poll_timeout_ms: int = 200,
        fetch_max_wait_ms: int = 500,
        fetch_min_bytes: int = 1024 * 1024,
        session_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        backoff_seconds: float = 0.2,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        super().__init__(
            service=service,
            bootstrap=bootstrap,
            group_id=group_id,
            topics=[topic],
            options={
                "auto_offset_reset": "earliest",
                "max_partition_fetch_bytes": 4 * 1024 * 1024,
                # the broker holds a fetch until `fetch_min_bytes` or `fetch_max_wait_ms` has
                # gathered: a few large transactions a second instead of one per trickle of
                # messages, which would cost the database CPU that more urgent work needs
                "fetch_max_wait_ms": fetch_max_wait_ms,
                "fetch_min_bytes": fetch_min_bytes,
                # a busy, low-priority consumer (nice 10 beside the lanes) may not be scheduled
                # for seconds: a longer session than the default 10 s keeps it in its group
                # instead of rebalancing (and re-reading its caches) on every stall
                "session_timeout_ms": session_timeout_ms,
                "heartbeat_interval_ms": session_timeout_ms // 10,
            },
            max_records=max_records,
            poll_timeout_ms=poll_timeout_ms,
        )
        self.topic = topic
        show_from_the_start(service, [topic], group_id)
        self._offsets = offsets
        self._uow_factory = uow_factory
        self._apply = apply
        self._on_failure = on_failure
        self._on_idle = on_idle
        self._on_assignment = on_assignment
        self._start_latest = start_latest
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._max_backoff_seconds = max_backoff_seconds
        self._dlq_producer: HealingProducer | None = None
        self._next: dict[TopicPartition, int] = {}  # next offset to apply, per partition
        self._crash_after = crash_after_applied()  # test hook, see chassis.kafka.crash
        self.started = asyncio.Event()
        self.assigned = asyncio.Event()  # set once partitions are assigned and positioned

    def _on_loop_failure(self) -> None:
        self._on_failure()

    async def _handle_poll(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        self.started.set()
        if poll:
            async with self._lock:
                await self._apply_batches(consumer, poll)
        if self._on_idle is not None:
            async with self._lock:
                await self._on_idle()

    async def run_forever(self) -> None:
        try:
            await super().run_forever()
        finally:
            if self._dlq_producer is not None:
                producer, self._dlq_producer = self._dlq_producer, None
                try:
                    await producer.stop()
                except Exception:
                    logger.warning("DLQ producer stop failed", exc_info=True)

    async def _apply_batches(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        assigned = consumer.assignment()
        # Records below the next offset were fetched before a seek (a poll that raced the
        # assignment): already applied, or about to be fetched again from the seek target.
        held = {
            tp: kept
            for tp, rs in poll.items()
            if tp in assigned and (kept := [r for r in rs if r.offset >= self._next.get(tp, 0)])
        }
        if not held:
            return
        records = [r for rs in held.values() for r in rs]
        offsets = {tp.partition: rs[-1].offset + 1 for tp, rs in held.items()}
        try:
            await self._apply_with_retries(records, offsets)
        except Exception:
            # in-memory caches may hold effects that were rolled back: drop them, re-read
            self._on_failure()
            await self._seek_to_stored(consumer, list(held))
            raise
        positions = {TopicPartition(self.topic, p): o for p, o in offsets.items()}
        self._next.update(positions)
        # Kafka's own offsets only feed lag monitoring; the database copy is the truth
        try:
            await consumer.commit(positions)
        except Exception:
            logger.debug("kafka offset commit failed (monitoring only)", exc_info=True)
        await self._report_lag(consumer, positions)

    async def _commit(self, records: Records, offsets: dict[int, int]) -> None:
        """The records' effects and the next offsets, in one transaction."""
        async with self._uow_factory() as uow, serialized_writes(uow):
            if records:
                await self._apply(uow, records)
            await store_offsets(uow, self._offsets, self.group_id, self.topic, offsets)
            await uow.commit()
        if records:
            KAFKA_CONSUMED.labels(self.service, self.topic, self.group_id, "applied").inc(
                len(records)
            )
            if self._crash_after is not None:
                self._crash_after.tick(len(records))

    async def _apply_with_retries(self, records: Records, offsets: dict[int, int]) -> None:
        """The whole poll at once; after `max_attempts` failures, record by record."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._commit(records, offsets)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._on_failure()
                if is_transient(exc):
                    raise  # the database or the network: the loop restarts, nothing is parked
                if isinstance(exc, PoisonMessage) or attempt >= self._max_attempts:
                    break
                KAFKA_CONSUMED.labels(self.service, self.topic, self.group_id, "retried").inc(
                    len(records)
                )
                logger.warning(
                    "batch failed; will retry",
                    extra={
                        "group": self.group_id,
                        "records": len(records),
                        "attempt": attempt,
                        "error": type(exc).__name__,
                    },
                )
                await asyncio.sleep(self._backoff(attempt))
        logger.warning(
            "batch keeps failing; applying it record by record to isolate the poison",
            extra={"group": self.group_id, "records": len(records), "attempts": attempt},
        )
        await self._isolate(records, attempt)

    async def _isolate(self, records: Records, batch_attempts: int) -> None:
        """Each record in its own transaction; one that still fails goes to `<topic>.dlq`."""
        for index, record in enumerate(records):
            if index % 20 == 19:
                await asyncio.sleep(0)
            next_offset = {record.partition: record.offset + 1}
            error: Exception | None = None
            for attempt in range(1, 3):
                try:
                    await self._commit([record], next_offset)
                    error = None
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._on_failure()
                    if is_transient(exc):
                        raise
                    error = exc
                    if isinstance(exc, PoisonMessage):
                        break
                    await asyncio.sleep(self._backoff(attempt))
            if error is None:
                continue
            # parked first, then the offset moves past it: a crash in between parks it twice,
            # never loses it
            await dead_letter(
                await self._dlq(),
                record,
                error,
                batch_attempts + 2,
                service=self.service,
                group_id=self.group_id,
            )
            await self._commit([], next_offset)

    def _backoff(self, attempt: int) -> float:
        delay = self._backoff_seconds * (2 ** min(attempt - 1, 16))
        return float(min(delay, self._max_backoff_seconds))

    async def _dlq(self) -> HealingProducer:
        if self._dlq_producer is None:
            producer = HealingProducer(
                partial(
                    AIOKafkaProducer,
                    bootstrap_servers=self.bootstrap,
                    client_id=f"{self.service}-{self.group_id}-dlq",
                    enable_idempotence=True,
                ),
                service=self.service,
                name=f"{self.group_id}-dlq",
            )
            await producer.start()
            self._dlq_producer = producer
        return self._dlq_producer

    async def _seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        async with self._uow_factory() as uow:
            stored = await stored_offsets(uow, self._offsets, self.group_id, self.topic)
        for tp in partitions:
            if tp.partition in stored:
                consumer.seek(tp, stored[tp.partition])
                self._next[tp] = stored[tp.partition]
                continue
            if self._start_latest:
                await consumer.seek_to_end(tp)
            else:
                await consumer.seek_to_beginning(tp)
            # resolve the lazy seek now: records below it were fetched before it (stale)
            self._next[tp] = await consumer.position(tp)

    async def _on_assigned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        # Under the lock: a poll fetched before this seek may be applied concurrently, and its
        # commit must land either before we read the stored offsets or after we positioned.
        async with self._lock:
            await self._positioned(consumer, assigned)

    async def _positioned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        started = time.monotonic()
        await self._seek_to_stored(consumer, list(assigned))
        if self._on_assignment is not None:
            count = len(consumer.partitions_for_topic(self.topic) or ())
            owned = {tp.partition for tp in assigned if tp.topic == self.topic}
            loading = self._on_assignment(owned, count)
            if inspect.isawaitable(loading):
                await loading  # e.g. caches of the new partitions, before their first batch
        if assigned:
            # resolve lazy "seek to end" now, so messages produced after this are not skipped
            for tp in assigned:
                await consumer.position(tp)
            self.assigned.set()
        logger.info(
            "partitions assigned",
            extra={
                "group": self.group_id,
                "partitions": sorted(tp.partition for tp in assigned),
                "seek_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
