"""An in-memory bus for fast unit tests: the producer interface the outbox relay uses, and
delivery through the consumer runner's own per-message code (`MessageApplier`: exactly-once
apply, bounded retries, DLQ with `x-error*` headers), so in-memory DLQ tests run the real logic."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiokafka import ConsumerRecord

from chassis.db import UnitOfWork, decode_envelope
from chassis.kafka.consumer import ConsumerConfig, Handler, MessageApplier
from homebed_schemas.envelope import Envelope


@dataclass
class BusMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    offset: int = 0

    def envelope(self) -> Envelope:
        return decode_envelope(self.value)

    def record(self) -> ConsumerRecord[bytes, bytes]:
        """As the consumer would receive it (partition 0)."""
        return ConsumerRecord(
            topic=self.topic,
            partition=0,
            offset=self.offset,
            timestamp=0,
            timestamp_type=0,
            key=self.key,
            value=self.value,
            checksum=None,
            serialized_key_size=len(self.key or b""),
            serialized_value_size=len(self.value),
            headers=tuple(self.headers),
        )


class InMemoryBus:
    """Stands in for the broker: `send`/`send_and_wait` like AIOKafkaProducer, one log per topic."""

    def __init__(self) -> None:
        self.topics: dict[str, list[BusMessage]] = defaultdict(list)
        self._offsets: dict[tuple[str, str], int] = defaultdict(int)
        self.fail_sends = False

    async def send(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[BusMessage]:
        future: asyncio.Future[BusMessage] = asyncio.get_running_loop().create_future()
        if self.fail_sends:
            future.set_exception(ConnectionError("in-memory bus is down"))
            return future
        log = self.topics[topic]
        message = BusMessage(topic, key, value, list(headers or []), offset=len(log))
        log.append(message)
        future.set_result(message)
        return future

    async def send_and_wait(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> BusMessage:
        return await (await self.send(topic, value, key, headers))

    def envelopes(self, topic: str) -> list[Envelope]:
        return [m.envelope() for m in self.topics[topic]]

    async def deliver(
        self,
        *,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        group_id: str,
        max_attempts: int = 3,
        service: str = "in-memory",
    ) -> dict[str, int]:
        """Deliver every new message of the handled topics once, through the runner's own
        `MessageApplier` (apply once, bounded retries, then `<topic>.dlq` with `x-error*`
        headers), without the backoff sleeps."""
        applier = MessageApplier(
            service=service,
            handlers=handlers,
            uow_factory=uow_factory,
            dlq_producer=self,
            config=ConsumerConfig(group_id=group_id, max_attempts=max_attempts),
            sleep=_no_wait,
        )
        outcomes: dict[str, int] = defaultdict(int)
        for topic in handlers:
            log = self.topics[topic]
            start = self._offsets[(group_id, topic)]
            for message in log[start:]:
                outcomes[await applier.process(message.record())] += 1
                self._offsets[(group_id, topic)] = message.offset + 1
        return dict(outcomes)


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)
