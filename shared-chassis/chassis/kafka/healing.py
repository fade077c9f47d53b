"""An idempotent producer that replaces itself when the broker stops accepting its sequence.

aiokafka's idempotent producer never recovers from `OutOfOrderSequenceNumber`
(aio-libs/aiokafka#1017): when the broker restarts while batches are in flight, a batch the
producer gave up on leaves its sequence numbers ahead of the broker's, and every later batch to
that partition is refused until the process restarts. The `make chaos` kafka-down scenario hit
it: after the broker came back, devices whose beds hash to those partitions got 503 for ever.
The Java client bumps its epoch and resets the sequences; we do the equivalent: start a fresh
producer (a new producer id, sequences from 0), route sends to it, and stop the poisoned one.

Nothing is lost or applied twice by the swap: a refused batch was not written, and every sender
(outbox relay, express publisher, telemetry lane, DLQ) already treats a failed send as "not
published" and sends again; the consumers downstream are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)

from chassis.observability.metrics import KAFKA_PRODUCER_REPLACED

logger = logging.getLogger(__name__)

# errors after which this producer id cannot publish to the partition again
POISONING_ERRORS: tuple[type[BaseException], ...] = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    InvalidProducerIdMapping,
    ProducerFenced,
)

ProducerFactory = Callable[[], AIOKafkaProducer]


class HealingProducer:
    """The send side of an `AIOKafkaProducer` (`send`, `send_and_wait`, `partitions_for`,
    `client`), replaced by a fresh one from `factory` after a poisoning error.

    A send that arrives while the replacement starts waits for it (bounded by the caller's own
    timeout), so it never lands on the poisoned producer.
    """

    def __init__(
        self,
        factory: ProducerFactory,
        *,
        service: str,
        name: str,
        restart_backoff: tuple[float, float] = (0.5, 5.0),
        stop_timeout_seconds: float = 10.0,
    ) -> None:
        self._factory = factory
        self._name = name
        self._backoff = restart_backoff
        self._stop_timeout = stop_timeout_seconds
        self._producer: AIOKafkaProducer | None = None
        self._replacing: asyncio.Task[None] | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self.replacements = 0
        # the series exists from the start (0), so dashboards and increase() see it before any swap
        self._replaced = KAFKA_PRODUCER_REPLACED.labels(service, name)

    async def start(self) -> None:
        """Start the first producer; raises (after stopping it) when the broker does not answer."""
        self._producer = await self._started(self._factory())

    async def stop(self) -> None:
        if self._replacing is not None:
            self._replacing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._replacing
        if self._retired:
            await asyncio.gather(*self._retired, return_exceptions=True)
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    @property
    def current(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError(f"producer {self._name} is not started")
        return self._producer

    @property
    def client(self) -> Any:
        return self.current.client

    async def partitions_for(self, topic: str) -> Any:
        return await self.current.partitions_for(topic)

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[Any]:
        """As `AIOKafkaProducer.send`: the record is queued, the returned future is its ack."""
        if self._replacing is not None:
            # shielded: a caller giving up (its timeout) must not cancel the replacement
            await asyncio.shield(self._replacing)
        producer = self.current
        try:
            ack: asyncio.Future[Any] = await producer.send(
                topic, value, key=key, partition=partition, timestamp_ms=timestamp_ms,
                headers=headers,
            )  # fmt: skip
        except POISONING_ERRORS as exc:
            self._replace(producer, exc)
            raise
        ack.add_done_callback(partial(self._watch, producer))
        return ack

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any:
        ack = await self.send(
            topic, value, key, partition=partition, timestamp_ms=timestamp_ms, headers=headers
        )
        return await ack

    def _watch(self, producer: AIOKafkaProducer, ack: asyncio.Future[Any]) -> None:
        if ack.cancelled():
            return
        error = ack.exception()
        if isinstance(error, POISONING_ERRORS):
            self._replace(producer, error)

    def _replace(self, poisoned: AIOKafkaProducer, error: BaseException) -> None:
        # many acks of one poisoned producer fail together: the first one replaces it
        if poisoned is not self._producer or self._replacing is not None:
            return
        logger.warning(
            "Kafka refused producer %s for good (%s); replacing it",
            self._name,
            type(error).__name__,
            extra={"producer": self._name, "error": type(error).__name__},
        )
        self._replacing = asyncio.get_running_loop().create_task(
            self._replace_with_fresh(poisoned), name=f"producer-{self._name}-replace"
        )

    async def _replace_with_fresh(self, poisoned: AIOKafkaProducer) -> None:
        try:
            delay, ceiling = self._backoff
            while True:
                try:
                    fresh = await self._started(self._factory())
                    break
                except Exception as exc:
                    logger.warning(
                        "replacement for producer %s could not start (%s); retrying",
                        self._name,
                        type(exc).__name__,
                        extra={"producer": self._name, "error": type(exc).__name__},
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, ceiling)
            self._producer = fresh
            self.replacements += 1
            self._replaced.inc()
        finally:
            self._replacing = None
        # the old one's other partitions may still hold batches: let them finish, in the background
        retire = asyncio.get_running_loop().create_task(self._retire(poisoned))
        self._retired.add(retire)
        retire.add_done_callback(self._retired.discard)

    async def _retire(self, poisoned: AIOKafkaProducer) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._stop_timeout):
                await poisoned.stop()

    @staticmethod
    async def _started(producer: AIOKafkaProducer) -> AIOKafkaProducer:
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        return producer
