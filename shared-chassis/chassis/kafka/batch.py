"""A batch consumer whose offsets live in the service database, committed with the effects.

For topics too busy for one transaction per message (the `ConsumerRunner` strategy): a whole
poll (thousands of messages) is applied in one transaction that also stores the next offset per
partition, so a crash replays nothing twice and loses nothing. On assignment it seeks to the
stored offsets. It shares its lifecycle (start, rebalance drain, stop, lag) with the runner
through `chassis.kafka.consumer_loop.ConsumerLoop`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
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
from chassis.kafka.consumer_loop import ConsumerLoop, Poll
from chassis.observability.metrics import KAFKA_CONSUMED
from chassis.upsert import upsert
from chassis.write_lock import serialized_writes

logger = logging.getLogger(__name__)

Records = Sequence[ConsumerRecord[bytes, bytes]]
ApplyBatch = Callable[[UnitOfWork, Records], Awaitable[None]]
OnIdle = Callable[[], Awaitable[None]]
OnAssignment = Callable[[set[int], int], None]  # (assigned partitions, partitions of the topic)


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
            },
            max_records=max_records,
            poll_timeout_ms=poll_timeout_ms,
        )
        self.topic = topic
        self._offsets = offsets
        self._uow_factory = uow_factory
        self._apply = apply
        self._on_failure = on_failure
        self._on_idle = on_idle
        self._on_assignment = on_assignment
        self._start_latest = start_latest
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

    async def _apply_batches(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        assigned = consumer.assignment()
        records = [r for tp, rs in poll.items() if tp in assigned for r in rs]
        if not records:
            return
        offsets = {
            tp.partition: rs[-1].offset + 1 for tp, rs in poll.items() if tp in assigned and rs
        }
        try:
            async with self._uow_factory() as uow, serialized_writes(uow):
                await self._apply(uow, records)
                await store_offsets(uow, self._offsets, self.group_id, self.topic, offsets)
                await uow.commit()
        except Exception:
            # in-memory caches may hold effects that were rolled back: drop them, re-read
            self._on_failure()
            await self._seek_to_stored(consumer, [tp for tp in poll if tp in assigned])
            raise
        KAFKA_CONSUMED.labels(self.service, self.topic, self.group_id, "applied").inc(len(records))
        positions = {TopicPartition(self.topic, p): o for p, o in offsets.items()}
        # Kafka's own offsets only feed lag monitoring; the database copy is the truth
        try:
            await consumer.commit(positions)
        except Exception:
            logger.debug("kafka offset commit failed (monitoring only)", exc_info=True)
        await self._report_lag(consumer, positions)

    async def _seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        async with self._uow_factory() as uow:
            stored = await stored_offsets(uow, self._offsets, self.group_id, self.topic)
        for tp in partitions:
            if tp.partition in stored:
                consumer.seek(tp, stored[tp.partition])
            elif self._start_latest:
                await consumer.seek_to_end(tp)
            else:
                await consumer.seek_to_beginning(tp)

    async def _on_assigned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        started = time.monotonic()
        await self._seek_to_stored(consumer, list(assigned))
        if self._on_assignment is not None:
            count = len(consumer.partitions_for_topic(self.topic) or ())
            self._on_assignment({tp.partition for tp in assigned if tp.topic == self.topic}, count)
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
