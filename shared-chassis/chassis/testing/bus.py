"""An in-memory bus for fast unit tests: the producer interface the outbox relay uses, and
delivery through the same exactly-once apply step as the real consumer runner."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiokafka import ConsumerRecord

from chassis.db import UnitOfWork, decode_envelope
from chassis.kafka.consumer import Handler, PoisonMessage, apply_record
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import dlq_topic


@dataclass
class BusMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    offset: int = 0

    def envelope(self) -> Envelope:
        return decode_envelope(self.value)


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
    ) -> dict[str, int]:
        """Deliver every new message of the handled topics once; poison goes to `<topic>.dlq`."""
        outcomes: dict[str, int] = defaultdict(int)
        for topic in handlers:
            log = self.topics[topic]
            start = self._offsets[(group_id, topic)]
            for message in log[start:]:
                outcome = await self._apply(message, handlers, uow_factory, group_id, max_attempts)
                outcomes[outcome] += 1
                self._offsets[(group_id, topic)] = message.offset + 1
        return dict(outcomes)

    async def _apply(
        self,
        message: BusMessage,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        group_id: str,
        max_attempts: int,
    ) -> str:
        record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            topic=message.topic,
            partition=0,
            offset=message.offset,
            timestamp=0,
            timestamp_type=0,
            key=message.key,
            value=message.value,
            checksum=None,
            serialized_key_size=0,
            serialized_value_size=len(message.value),
            headers=tuple(message.headers),
        )
        for attempt in range(1, max_attempts + 1):
            try:
                return await apply_record(
                    record, handlers=handlers, uow_factory=uow_factory, group_id=group_id
                )
            except PoisonMessage:
                break
            except Exception:
                if attempt == max_attempts:
                    break
        await self.send(dlq_topic(message.topic), message.value, message.key, message.headers)
        return "dead_lettered"
