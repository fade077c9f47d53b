"""The one run/commit skeleton of every Kafka consumer of the chassis.

`ConsumerLoop` owns the consumer's lifecycle: start (restarting with backoff while the broker is
unreachable or a batch fails), poll, drain the batch in hand before a rebalance takes partitions
away, stop, and report lag. What a poll means is the strategy of a subclass:

- `chassis.kafka.consumer.ConsumerRunner`: per message, deduplicated by `processed_events`,
  offsets committed to Kafka after the database commit;
- `chassis.kafka.batch.BatchConsumer`: per poll, one transaction that also stores the offsets in
  the service's database (the high-rate lanes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener

from chassis.observability.metrics import KAFKA_LAG

logger = logging.getLogger(__name__)

Poll = dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]


class ConsumerLoop:
    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        group_id: str,
        topics: Sequence[str],
        options: Mapping[str, Any],
        max_records: int,
        poll_timeout_ms: int,
    ) -> None:
        self.service = service
        self.bootstrap = bootstrap
        self._group_id = group_id
        self._topics = list(topics)
        self._options = dict(options)
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        # Held while a poll is applied; a rebalance waits for it, so no partition is revoked
        # between the effects' commit and the offsets' commit.
        self._lock = asyncio.Lock()
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None

    @property
    def group_id(self) -> str:
        return self._group_id

    async def run_forever(self) -> None:
        """Consume until stopped or cancelled; restarts with backoff after a failure."""
        backoff = 0.5
        while not self._stopping:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning(
                    "consumer loop failed; restarting",
                    extra={"group": self.group_id},
                    exc_info=True,
                )
                self._on_loop_failure()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)

    async def stop(self) -> None:
        """Finish the poll in hand (its offsets are committed), then leave the loop."""
        self._stopping = True

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=self.group_id,
            client_id=f"{self.service}-{self.group_id}",
            enable_auto_commit=False,
            **self._options,
        )
        consumer.subscribe(self._topics, listener=_DrainOnRevoke(self, consumer))
        await consumer.start()
        self._consumer = consumer
        try:
            while not self._stopping:
                poll = await consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                await self._handle_poll(consumer, poll)
        finally:
            self._consumer = None
            try:
                await consumer.stop()
            except Exception:
                logger.warning("consumer stop failed", exc_info=True)

    async def _handle_poll(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        """Apply one poll (under `self._lock`) and commit its offsets: the strategy."""
        raise NotImplementedError

    async def _on_assigned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        """Partitions were assigned (position them, reload caches); nothing by default."""

    def _on_loop_failure(self) -> None:
        """The loop failed and restarts (drop in-memory state that may be stale)."""

    async def _report_lag(
        self, consumer: AIOKafkaConsumer, positions: Mapping[TopicPartition, int] | None = None
    ) -> None:
        """`homebed_kafka_consumer_lag`; `positions` when known (else asked of the consumer)."""
        for tp in consumer.assignment():
            try:
                highwater = consumer.highwater(tp)
            except AssertionError:
                continue  # revoked by a rebalance since assignment() answered
            if highwater is None:
                continue
            if positions is not None:
                if tp not in positions:
                    continue
                position = positions[tp]
            else:
                try:
                    position = await asyncio.wait_for(consumer.position(tp), 0.5)
                except Exception:  # noqa: S112 - no position yet (fresh assignment): next round
                    continue
            KAFKA_LAG.labels(self.service, tp.topic, str(tp.partition), self.group_id).set(
                max(0, highwater - position)
            )


class _DrainOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: ConsumerLoop, consumer: AIOKafkaConsumer) -> None:
        self._owner = owner
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: Any) -> None:
        # Wait for the poll in progress: its offsets are committed before we let go.
        async with self._owner._lock:
            return

    async def on_partitions_assigned(self, assigned: Any) -> None:
        await self._owner._on_assigned(self._consumer, set(assigned))
