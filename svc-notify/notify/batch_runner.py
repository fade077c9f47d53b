"""notify's consumer: the chassis runner's guarantees (each event applied once per group through
`processed_events`, poison to the DLQ, the database down retried without limit), one transaction
per poll and topic instead of one per message.

A fall costs a handful of statements whichever way; what a transaction per message adds is a
commit, a dedupe query and the chain's, bed's and schedule's reads per fall. Per batch they are
one query each (`Notifications.on_events`), the deliveries and dedupe rows are written with one
statement each, and 40 falls a second cost a few transactions, not 40. A batch that fails (a
poison message, a concurrent delivery of the same event) is applied again record by record
through the chassis path, which isolates the culprit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from sqlalchemy import Insert, Select, Table, bindparam, insert, select

from chassis.db import UnitOfWork, decode_envelope
from chassis.kafka.consumer import ConsumerRunner, PoisonMessage
from chassis.kafka.consumer_loop import Poll
from chassis.observability.context import correlation_id_var
from chassis.observability.metrics import KAFKA_CONSUMED, KAFKA_HANDLE_LATENCY
from homebed_schemas.envelope import Envelope

logger = logging.getLogger(__name__)

# The dedupe rows of the events a batch applies, left in the session for the delivery writer
# to fold into its one statement on PostgreSQL (`DeliveryWriter`); what it did not take (no
# delivery, SQLite) the runner writes after the handler
PENDING_DEDUPE = "notify.pending_dedupe_rows"

# a batch of one topic's fresh events, applied in the given unit of work (not committed)
BatchHandler = Callable[[UnitOfWork, Sequence[Envelope]], Awaitable[None]]


class BatchRunner(ConsumerRunner):
    def __init__(self, *, batch_handlers: Mapping[str, BatchHandler], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._batch_handlers = dict(batch_handlers)
        self._dedupe: tuple[Table, Select[Any], Insert] | None = None

    def _dedupe_statements(self, processed: Table) -> tuple[Select[Any], Insert]:
        """The dedupe read and write, built once (per batch they cost more CPU to build than
        to run)."""
        if self._dedupe is None or self._dedupe[0] is not processed:
            seen = select(processed.c.event_id).where(
                processed.c.consumer_group == bindparam("group"),
                processed.c.event_id.in_(bindparam("ids", expanding=True)),
            )
            self._dedupe = (processed, seen, insert(processed))
        return self._dedupe[1], self._dedupe[2]

    async def _handle_poll(self, consumer: AIOKafkaConsumer, poll: Poll) -> None:
        async with self._lock:
            owned = {tp: records for tp, records in poll.items() if tp in consumer.assignment()}
            by_topic: dict[str, list[ConsumerRecord[bytes, bytes]]] = {}
            for tp, records in owned.items():  # revoked meanwhile: the new owner reads them
                by_topic.setdefault(tp.topic, []).extend(records)
            for topic, records in by_topic.items():
                try:
                    await self.apply_batch(records)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    logger.warning(
                        "batch failed; applying it record by record",
                        extra={"topic": topic, "records": len(records), "error": repr(exc)},
                    )
                    for record in records:
                        await self._apply_with_retries(record)
            if owned:
                # each record's effects are committed with its processed_events row: a crash
                # before this line only redelivers records that are then skipped. One commit
                # for every partition of the poll (a round trip each would add up on a busy
                # broker)
                positions = {tp: rs[-1].offset + 1 for tp, rs in owned.items()}
                await consumer.commit(positions)
                # the lag of the partitions this poll moved (asking the consumer for every
                # assigned partition's position is a task each: dozens per poll)
                await self._report_lag(consumer, positions)
                return
        await self._report_lag(consumer)

    async def apply_batch(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        """One topic's records of a poll (all its partitions) in one transaction with their
        dedupe rows; raises (nothing committed) when any record cannot be applied."""
        topic = records[0].topic
        handler = self._batch_handlers.get(topic)
        if handler is None:
            raise PoisonMessage(f"no handler for topic {topic}")
        envelopes: dict[str, Envelope] = {}
        for record in records:
            if record.value is None:
                raise PoisonMessage("message has no value")
            envelope = decode_envelope(record.value)
            envelopes.setdefault(str(envelope.id), envelope)
        group = self._config.group_id
        first = next(iter(envelopes.values()))
        token = correlation_id_var.set(first.correlation_id or str(first.id))
        try:
            with KAFKA_HANDLE_LATENCY.labels(self._service, topic, group).time():
                async with self._uow_factory() as uow:
                    already, record_processed = self._dedupe_statements(uow.tables.processed_events)
                    # a handler that can read what the batch needs with the dedupe read does
                    # (notify's alarms on PostgreSQL: one statement instead of three)
                    read_with_dedupe = getattr(handler, "read", None)
                    seen = (
                        await read_with_dedupe(uow, group, list(envelopes.values()))
                        if read_with_dedupe is not None
                        else None
                    )
                    if seen is None:
                        ids = {"group": group, "ids": list(envelopes)}
                        seen = set(await uow.session.scalars(already, ids))
                    fresh = [e for key, e in envelopes.items() if key not in seen]
                    if fresh:
                        now = datetime.now(UTC)
                        # the writer folds them into its one statement on PostgreSQL
                        # (`DeliveryWriter`); whatever it did not take is written here
                        uow.session.info[PENDING_DEDUPE] = [
                            {
                                "consumer_group": group,
                                "event_id": str(e.id),
                                "topic": topic,
                                "processed_at": now,
                            }
                            for e in fresh
                        ]
                        await handler(uow, fresh)
                        left = uow.session.info.pop(PENDING_DEDUPE, None)
                        if left:
                            await uow.session.execute(record_processed, left)
                    await uow.commit()
        finally:
            correlation_id_var.reset(token)
        counts = {"applied": len(fresh), "duplicate": len(records) - len(fresh)}
        for outcome, count in counts.items():
            if count:
                KAFKA_CONSUMED.labels(self._service, topic, group, outcome).inc(count)
