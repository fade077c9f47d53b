"""The consumer runner: apply each message once, retry a bounded number of times, then DLQ.

For each message: the handler's writes and the `processed_events` row commit in one transaction,
then the offset is committed. A crash between the two redelivers the message, and the
`processed_events` row makes the second delivery a no-op.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)

from chassis.db import UnitOfWork, decode_envelope
from chassis.kafka.consumer_loop import ConsumerLoop, Poll
from chassis.kafka.crash import crash_after_applied
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


class DlqProducer(Protocol):
    async def send_and_wait(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        *,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any: ...


def is_transient(error: BaseException) -> bool:
    """The database or the network failed, not the message: retry without limit, never DLQ.

    A message is poison only when it fails on a working system; parking messages because
    PostgreSQL restarted would lose them from the projection.
    """
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            break
        if isinstance(
            seen,
            (OperationalError, InterfaceError, DisconnectionError, OSError, TimeoutError),
        ):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        module = type(seen).__module__
        if module.startswith("asyncpg") and type(seen).__name__ in _ASYNCPG_TRANSIENT:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_ASYNCPG_TRANSIENT = {
    "ConnectionDoesNotExistError",
    "ConnectionFailureError",
    "CannotConnectNowError",
    "AdminShutdownError",
    "CrashShutdownError",
    "InterfaceError",
    "InternalClientError",
    "TooManyConnectionsError",
}


def dead_letter_headers(
    record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int, group_id: str
) -> list[tuple[str, bytes]]:
    """The record's headers plus the `x-error*` and `x-original-*` ones `chassis.dlq` knows."""
    return [
        *(record.headers or ()),
        ("x-error", str(error)[:1000].encode()),
        ("x-error-type", type(error).__name__.encode()),
        ("x-attempts", str(attempts).encode()),
        ("x-original-topic", record.topic.encode()),
        ("x-original-partition", str(record.partition).encode()),
        ("x-original-offset", str(record.offset).encode()),
        ("x-consumer-group", group_id.encode()),
        ("x-failed-at", datetime.now(UTC).isoformat().encode()),
    ]


async def dead_letter(
    producer: DlqProducer,
    record: ConsumerRecord[bytes, bytes],
    error: BaseException,
    attempts: int,
    *,
    service: str,
    group_id: str,
) -> None:
    """Park the message with its error; blocks (retrying) until Kafka has it: nothing lost."""
    headers = dead_letter_headers(record, error, attempts, group_id)
    delay = 0.5
    while True:
        try:
            await producer.send_and_wait(
                dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
            )
            break
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.warning("DLQ publish failed; retrying", exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
    KAFKA_DLQ.labels(service, record.topic, group_id).inc()
    KAFKA_CONSUMED.labels(service, record.topic, group_id, "dead_lettered").inc()
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


CONSUMED_OUTCOMES = ("applied", "duplicate", "retried", "dead_lettered")


def show_from_the_start(service: str, topics: Iterable[str], group_id: str) -> None:
    """Create a consumer's series at 0 (its topics and group are known before any message): a
    dashboard of consumption and dead letters then needs no `or vector(0)`."""
    for topic in topics:
        for outcome in CONSUMED_OUTCOMES:
            KAFKA_CONSUMED.labels(service, topic, group_id, outcome)
        KAFKA_DLQ.labels(service, topic, group_id)
        KAFKA_HANDLE_LATENCY.labels(service, topic, group_id)


class MessageApplier:
    """The per-message strategy of the runner, free of the Kafka consumer: apply once, retry a
    bounded number of times (without limit while the database or network is down), then DLQ.

    `ConsumerRunner` calls it for every record it polls; `chassis.testing.bus.InMemoryBus`
    calls the same object, so in-memory tests run this code, not a copy of it.
    """

    def __init__(
        self,
        *,
        service: str,
        handlers: Mapping[str, Handler],
        uow_factory: Callable[[], UnitOfWork],
        dlq_producer: DlqProducer,
        config: ConsumerConfig,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._service = service
        self._handlers = dict(handlers)
        self._uow_factory = uow_factory
        self._dlq_producer = dlq_producer
        self._config = config
        self._sleep = sleep
        show_from_the_start(service, self._handlers, config.group_id)

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> str:
        """ "applied", "duplicate" or "dead_lettered"; returns once the record is settled."""
        attempt = 0
        failures = 0
        while True:
            attempt += 1
            try:
                with KAFKA_HANDLE_LATENCY.labels(
                    self._service, record.topic, self._config.group_id
                ).time():
                    outcome = await self.apply_once(record)
                KAFKA_CONSUMED.labels(
                    self._service, record.topic, self._config.group_id, outcome
                ).inc()
                return outcome
            except asyncio.CancelledError:
                raise
            except PoisonMessage as exc:
                await self.dead_letter(record, exc, attempt)
                return "dead_lettered"
            except Exception as exc:
                transient = is_transient(exc)
                if not transient:
                    failures += 1
                    if failures >= self._config.max_attempts:
                        await self.dead_letter(record, exc, attempt)
                        return "dead_lettered"
                KAFKA_CONSUMED.labels(
                    self._service, record.topic, self._config.group_id, "retried"
                ).inc()
                logger.warning(
                    "handler failed; will retry",
                    extra={
                        "topic": record.topic,
                        "offset": record.offset,
                        "attempt": attempt,
                        "transient": transient,
                        "error": type(exc).__name__,
                    },
                )
                delay = self._config.backoff_seconds * (2 ** min(attempt - 1, 16))
                await self._sleep(min(delay, self._config.max_backoff_seconds))

    async def apply_once(self, record: ConsumerRecord[bytes, bytes]) -> str:
        return await apply_record(
            record,
            handlers=self._handlers,
            uow_factory=self._uow_factory,
            group_id=self._config.group_id,
        )

    async def dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int
    ) -> None:
        await dead_letter(
            self._dlq_producer,
            record,
            error,
            attempts,
            service=self._service,
            group_id=self._config.group_id,
        )


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
        self._applier = MessageApplier(
            service=service,
            handlers=handlers,
            uow_factory=uow_factory,
            dlq_producer=dlq_producer,
            config=config,
        )
        # test hook (chassis.testing.crash): SIGKILL this process right after the database
        # commit of the Nth applied message, before its offset commit
        self._crash_after = crash_after_applied()

    async def _handle_poll(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        for tp, records in poll.items():
            async with self._lock:
                if tp not in consumer.assignment():
                    continue  # revoked while we waited: the new owner will read these
                for record in records:
                    outcome = await self._apply_with_retries(record)
                    if self._crash_after is not None and outcome == "applied":
                        self._crash_after.tick()
                # One offset commit per partition batch: each record's effects are
                # already committed with its processed_events row, so a crash before
                # this line only redelivers records that are then skipped.
                await self._commit_offset(consumer, tp, records[-1].offset + 1)
        await self._report_lag(consumer)

    async def _commit_offset(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int
    ) -> None:
        await consumer.commit({tp: offset})

    async def _apply_with_retries(self, record: ConsumerRecord[bytes, bytes]) -> str:
        return await self._applier.process(record)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int
    ) -> None:
        await self._applier.dead_letter(record, error, attempts)


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
    "DlqProducer",
    "Handler",
    "MessageApplier",
    "PoisonMessage",
    "TopicPartition",
    "apply_record",
    "dead_letter",
    "dead_letter_headers",
    "is_transient",
]
