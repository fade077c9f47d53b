"""Kafka side of the DLQ tool: read a DLQ topic to its current end, republish a replay plan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from chassis.dlq.records import DlqRecord, ReplayMessage
from chassis.kafka.producer import create_producer

UNKNOWN_TOPIC_OR_PARTITION = 3


class DlqError(Exception):
    """The DLQ cannot be read or replayed (missing topic, broker unreachable in time)."""


async def topic_partitions(bootstrap: str, topic: str, *, timeout_s: float = 30) -> list[int]:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="homebed-dlq",
        request_timeout_ms=int(timeout_s * 1000),
    )
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] == UNKNOWN_TOPIC_OR_PARTITION:
        raise DlqError(f"topic {topic} does not exist")
    if described["error_code"] != 0:
        raise DlqError(f"cannot describe topic {topic}: error code {described['error_code']}")
    return sorted(int(p["partition"]) for p in described["partitions"])


async def read_dlq(bootstrap: str, topic: str, *, timeout_s: float = 60) -> list[DlqRecord]:
    """Every record of `topic` up to the end offsets seen at the start (so it terminates).

    Manual assignment, no consumer group: nothing is committed, nobody else is disturbed.
    """
    partitions = [TopicPartition(topic, p) for p in await topic_partitions(bootstrap, topic)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        client_id="homebed-dlq",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[DlqRecord] = []
    try:
        consumer.assign(partitions)
        begin = await consumer.beginning_offsets(partitions)
        end = await consumer.end_offsets(partitions)
        # An explicit seek, not seek_to_beginning(): that one resets lazily, and position()
        # may still answer with the position the fetcher had before the reset.
        for tp in partitions:
            consumer.seek(tp, begin[tp])
        pending = {tp for tp in partitions if end[tp] > begin[tp]}
        try:
            async with asyncio.timeout(timeout_s):
                while pending:
                    for tp in list(pending):
                        if await consumer.position(tp) >= end[tp]:
                            pending.discard(tp)
                    if not pending:
                        break
                    batches = await consumer.getmany(*pending, timeout_ms=500)
                    for tp, batch in batches.items():
                        records.extend(
                            DlqRecord(
                                topic=r.topic,
                                partition=r.partition,
                                offset=r.offset,
                                timestamp_ms=r.timestamp,
                                key=r.key,
                                value=r.value,
                                headers=tuple(r.headers),
                            )
                            for r in batch
                            if r.offset < end[tp]
                        )
        except TimeoutError as exc:
            raise DlqError(f"reading {topic} did not reach its end in {timeout_s:.0f} s") from exc
    finally:
        await consumer.stop()
    return records


async def publish(
    bootstrap: str,
    messages: Sequence[ReplayMessage],
    *,
    on_sent: Callable[[ReplayMessage], None] | None = None,
) -> int:
    """Send the messages in order with the chassis's idempotent producer; the count acked.

    `on_sent` is called after each acknowledgement, so a failure part-way says what went out.
    """
    if not messages:
        return 0
    producer = create_producer(bootstrap, client_id="homebed-dlq-replay")
    await producer.start()
    sent = 0
    try:
        for message in messages:
            await producer.send_and_wait(
                message.topic,
                value=message.value,
                key=message.key,
                headers=list(message.headers),
            )
            sent += 1
            if on_sent is not None:
                on_sent(message)
    finally:
        await producer.stop()
    return sent


__all__ = ["DlqError", "publish", "read_dlq", "topic_partitions"]
