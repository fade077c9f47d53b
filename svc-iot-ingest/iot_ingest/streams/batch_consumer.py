"""A batch consumer whose offsets live in the service database, committed with the effects.

The telemetry topic is too busy for one transaction per message (the chassis runner's model):
here a whole poll (thousands of readings) is applied in one transaction that also stores the next
offset per partition, so a crash replays nothing twice and loses nothing. On assignment we seek
to the stored offsets.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from sqlalchemy import select

from chassis.db import UnitOfWork
from chassis.observability.metrics import KAFKA_CONSUMED, KAFKA_LAG
from iot_ingest.tables import consumer_offsets
from iot_ingest.upsert import upsert
from iot_ingest.write_lock import serialized_writes

logger = logging.getLogger(__name__)

Records = Sequence[ConsumerRecord[bytes, bytes]]
ApplyBatch = Callable[[UnitOfWork, Records], Awaitable[None]]
OnIdle = Callable[[], Awaitable[None]]
OnAssignment = Callable[[set[int], int], None]  # (assigned partitions, partitions of the topic)


async def stored_offsets(uow: UnitOfWork, group_id: str, topic: str) -> dict[int, int]:
    rows = (
        await uow.session.execute(
            select(consumer_offsets.c.partition, consumer_offsets.c.next_offset).where(
                consumer_offsets.c.group_id == group_id, consumer_offsets.c.topic == topic
            )
        )
    ).all()
    return {int(r.partition): int(r.next_offset) for r in rows}


async def store_offsets(
    uow: UnitOfWork, group_id: str, topic: str, offsets: dict[int, int]
) -> None:
    # one statement for every partition: a round trip per partition per batch adds up
    await upsert(
        uow,
        consumer_offsets,
        [
            {"group_id": group_id, "topic": topic, "partition": p, "next_offset": o}
            for p, o in sorted(offsets.items())
        ],
        keys=["group_id", "topic", "partition"],
    )


class BatchConsumer:
    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        group_id: str,
        topic: str,
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
        self.service = service
        self.bootstrap = bootstrap
        self.group_id = group_id
        self.topic = topic
        self._uow_factory = uow_factory
        self._apply = apply
        self._on_failure = on_failure
        self._on_idle = on_idle
        self._on_assignment = on_assignment
        self._start_latest = start_latest
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._fetch_min_bytes = fetch_min_bytes
        self._lock = asyncio.Lock()
        self._stopping = False
        self.started = asyncio.Event()
        self.assigned = asyncio.Event()  # set once partitions are assigned and positioned

    async def stop(self) -> None:
        self._stopping = True

    async def run_forever(self) -> None:
        backoff = 0.5
        while not self._stopping:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "batch consumer failed; restarting",
                    exc_info=True,
                    extra={"group": self.group_id},
                )
                self._on_failure()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.service}-{self.group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            # the broker holds a fetch until a megabyte or half a second has gathered: a few
            # large transactions a second instead of one per trickle of messages, which would
            # cost this process and the database CPU the alarm lane needs (a duration rule
            # spans a minute; half a second of extra delay changes nothing for it)
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            fetch_min_bytes=self._fetch_min_bytes,
        )
        consumer.subscribe([self.topic], listener=_SeekToStored(self, consumer))
        await consumer.start()
        try:
            while not self._stopping:
                batches = await consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                self.started.set()
                if batches:
                    async with self._lock:
                        await self._apply_batches(consumer, batches)
                if self._on_idle is not None:
                    async with self._lock:
                        await self._on_idle()
        finally:
            await consumer.stop()

    async def _apply_batches(
        self, consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[Any]]
    ) -> None:
        assigned = consumer.assignment()
        records = [r for tp, rs in batches.items() if tp in assigned for r in rs]
        if not records:
            return
        offsets = {
            tp.partition: rs[-1].offset + 1 for tp, rs in batches.items() if tp in assigned and rs
        }
        try:
            async with self._uow_factory() as uow, serialized_writes(uow):
                await self._apply(uow, records)
                await store_offsets(uow, self.group_id, self.topic, offsets)
                await uow.commit()
        except Exception:
            # in-memory caches may hold effects that were rolled back: drop them, re-read
            self._on_failure()
            await self._seek_to_stored(consumer, [tp for tp in batches if tp in assigned])
            raise
        KAFKA_CONSUMED.labels(self.service, self.topic, self.group_id, "applied").inc(len(records))
        # Kafka's own offsets only feed lag monitoring; the database copy is the truth
        try:
            await consumer.commit({TopicPartition(self.topic, p): o for p, o in offsets.items()})
        except Exception:
            logger.debug("kafka offset commit failed (monitoring only)", exc_info=True)
        for tp in assigned:
            highwater = consumer.highwater(tp)
            if highwater is not None and tp.partition in offsets:
                KAFKA_LAG.labels(self.service, tp.topic, str(tp.partition), self.group_id).set(
                    max(0, highwater - offsets[tp.partition])
                )

    async def _seek_to_stored(
        self, consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]
    ) -> None:
        async with self._uow_factory() as uow:
            stored = await stored_offsets(uow, self.group_id, self.topic)
        for tp in partitions:
            if tp.partition in stored:
                consumer.seek(tp, stored[tp.partition])
            elif self._start_latest:
                await consumer.seek_to_end(tp)
            else:
                await consumer.seek_to_beginning(tp)


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: BatchConsumer, consumer: AIOKafkaConsumer) -> None:
        self._owner = owner
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._owner._lock:  # let the batch in progress finish and commit
            return

    async def on_partitions_assigned(self, assigned: Any) -> None:
        started = time.monotonic()
        await self._owner._seek_to_stored(self._consumer, list(assigned))
        if self._owner._on_assignment is not None:
            topic = self._owner.topic
            count = len(self._consumer.partitions_for_topic(topic) or ())
            self._owner._on_assignment(
                {tp.partition for tp in assigned if tp.topic == topic}, count
            )
        if assigned:
            # resolve lazy "seek to end" now, so messages produced after this are not skipped
            for tp in assigned:
                await self._consumer.position(tp)
            self._owner.assigned.set()
        logger.info(
            "partitions assigned",
            extra={
                "group": self._owner.group_id,
                "partitions": sorted(tp.partition for tp in assigned),
                "seek_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
