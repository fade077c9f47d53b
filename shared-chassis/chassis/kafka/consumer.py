"""The consumer runner: apply each message once, retry a bounded number of times, then DLQ.

For each message: the handler's writes and the `processed_events` row commit in one transaction,
then the offset is committed. A crash between the two redelivers the message, and the
`processed_events` row makes the second delivery a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from chassis.db import UnitOfWork, decode_envelope
from chassis.kafka.consumer_loop import ConsumerLoop, Poll
from chassis.observability.context import correlation_id_var
from chassis.observability.metrics import (
    KAFKA_CONSUMED,
    KAFKA_DLQ,
    KAFKA_HANDLE_LATENCY,
)
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import dlq_topic

logger = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope], Awaitable[None]]


class PoisonMessage(Exception):
    """The message can never be applied (undecodable, unknown type): straight to the DLQ."""


PayloadT = TypeVar("PayloadT", bound=BaseModel)


def decode_payload(envelope: Envelope, model: type[PayloadT]) -> PayloadT:
    """The envelope's data as `model`, or `PoisonMessage` (no retry can make it valid)."""
    try:
        return model.model_validate(envelope.data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise PoisonMessage(
            f"invalid {envelope.type} payload: {exc.error_count()} error(s) at {fields}"
        ) from exc


@dataclass(frozen=True)
class ConsumerConfig:
    group_id: str
    max_attempts: int = 5
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 5.0
    max_records: int = 200
    auto_offset_reset: str = "earliest"


class ConsumerRunner(ConsumerLoop):
    """Per message: handler + `processed_events` row in one transaction, then the offset."""

    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        dlq_producer: AIOKafkaProducer,
        config: ConsumerConfig,
    ) -> None:
        super().__init__(
            service=service,
            bootstrap=bootstrap,
            group_id=config.group_id,
            topics=list(handlers),
            options={
                "auto_offset_reset": config.auto_offset_reset,
                "isolation_level": "read_committed",
            },
            max_records=config.max_records,
            poll_timeout_ms=500,
        )
        self._service = service
        self._handlers = dict(handlers)
        self._uow_factory = uow_factory
        self._dlq_producer = dlq_producer
        self._config = config

    async def _handle_poll(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        for tp, records in poll.items():
            async with self._lock:
                if tp not in consumer.assignment():
                    continue  # revoked while we waited: the new owner will read these
                for record in records:
                    await self._apply_with_retries(record)
                # One offset commit per partition batch: each record's effects are
                # already committed with its processed_events row, so a crash before
                # this line only redelivers records that are then skipped.
                await self._commit_offset(consumer, tp, records[-1].offset + 1)
        await self._report_lag(consumer)

    async def _commit_offset(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int
    ) -> None:
        await consumer.commit({tp: offset})

    async def _apply_with_retries(self, record: ConsumerRecord[bytes, bytes]) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                with KAFKA_HANDLE_LATENCY.labels(
                    self._service, record.topic, self._config.group_id
                ).time():
                    outcome = await self._apply_once(record)
                KAFKA_CONSUMED.labels(
                    self._service, record.topic, self._config.group_id, outcome
                ).inc()
                return
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:
                await self._dead_letter(record, exc, attempt)
                return
            except Exception as exc:
                if attempt >= self._config.max_attempts:
                    await self._dead_letter(record, exc, attempt)
                    return
                KAFKA_CONSUMED.labels(
                    self._service, record.topic, self._config.group_id, "retried"
                ).inc()
                logger.warning(
                    "handler failed; will retry",
                    extra={
                        "topic": record.topic,
                        "offset": record.offset,
                        "attempt": attempt,
                        "error": type(exc).__name__,
                    },
                )
                delay = self._config.backoff_seconds * (2 ** (attempt - 1))
                await asyncio.sleep(min(delay, self._config.max_backoff_seconds))

    async def _apply_once(self, record: ConsumerRecord[bytes, bytes]) -> str:
        return await apply_record(
            record,
            handlers=self._handlers,
            uow_factory=self._uow_factory,
            group_id=self._config.group_id,
        )

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int
    ) -> None:
        """Park the message with its error; blocks (retrying) until Kafka has it: nothing lost."""
        headers = [
            *(record.headers or ()),
            ("x-error", str(error)[:1000].encode()),
            ("x-error-type", type(error).__name__.encode()),
            ("x-attempts", str(attempts).encode()),
            ("x-original-topic", record.topic.encode()),
            ("x-original-partition", str(record.partition).encode()),
            ("x-original-offset", str(record.offset).encode()),
            ("x-consumer-group", self._config.group_id.encode()),
            ("x-failed-at", datetime.now(UTC).isoformat().encode()),
        ]
        delay = 0.5
        while True:
            try:
                await self._dlq_producer.send_and_wait(
                    dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
                )
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("DLQ publish failed; retrying", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        KAFKA_DLQ.labels(self._service, record.topic, self._config.group_id).inc()
        KAFKA_CONSUMED.labels(
            self._service, record.topic, self._config.group_id, "dead_lettered"
        ).inc()
        logger.error(
            "message dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "attempts": attempts,
                "error_type": type(error).__name__,
            },
        )


async def apply_record(
    record: ConsumerRecord[bytes, bytes],
    *,
    handlers: Mapping[str, Handler],
    uow_factory: Callable[[], UnitOfWork],
    group_id: str,
) -> str:
    """Apply one message exactly once for a consumer group: "applied" or "duplicate".

    Raises PoisonMessage when it can never be applied, anything else when it may be retried.
    """
    handler = handlers.get(record.topic)
    if handler is None:
        raise PoisonMessage(f"no handler for topic {record.topic}")
    if record.value is None:
        raise PoisonMessage("message has no value")
    try:
        envelope = decode_envelope(record.value)
    except Exception as exc:
        raise PoisonMessage(f"undecodable envelope: {exc}") from exc
    token = correlation_id_var.set(envelope.correlation_id or str(envelope.id))
    try:
        async with uow_factory() as uow:
            processed = uow.tables.processed_events
            already = await uow.session.scalar(
                select(processed.c.event_id).where(
                    processed.c.consumer_group == group_id,
                    processed.c.event_id == str(envelope.id),
                )
            )
            if already is not None:
                return "duplicate"
            await handler(uow, envelope)
            await uow.session.execute(
                insert(processed).values(
                    consumer_group=group_id,
                    event_id=str(envelope.id),
                    topic=record.topic,
                    processed_at=datetime.now(UTC),
                )
            )
            try:
                await uow.commit()
            except IntegrityError:
                return "duplicate"  # a concurrent delivery applied it first
            return "applied"
    finally:
        correlation_id_var.reset(token)


__all__ = [
    "ConsumerConfig",
    "ConsumerRunner",
    "Handler",
    "PoisonMessage",
    "TopicPartition",
    "apply_record",
]
