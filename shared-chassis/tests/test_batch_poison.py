"""The batch consumer (the telemetry lanes) parks a poison record instead of stopping its
partition, and never parks anything because the database is down (real Kafka, both databases)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from chassis.db import UnitOfWork, chassis_tables, create_engine, create_session_factory
from chassis.kafka.batch import BatchConsumer, Records, consumer_offsets_table, stored_offsets
from chassis.kafka.topics import ensure_topics
from chassis.observability.metrics import KAFKA_DLQ
from chassis.testing.eventually import eventually

pytestmark = [pytest.mark.kafka]

METADATA = MetaData()
TABLES = chassis_tables(METADATA)
OFFSETS = consumer_offsets_table(METADATA)
SEEN = Table("batch_seen", METADATA, Column("value", String(100), primary_key=True))


async def _apply(uow: UnitOfWork, records: Records) -> None:
    for record in records:
        if record.value == b"poison":
            raise ValueError("cannot apply a poison reading")
        # primary key: a record applied twice fails the batch (and shows up as parked)
        await uow.session.execute(insert(SEEN).values(value=record.value.decode()))


async def _read(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, dict[str, bytes]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[tuple[bytes, dict[str, bytes]]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    found.extend((r.value, dict(r.headers)) for r in records)
        # nothing more than expected
        for records in (await consumer.getmany(timeout_ms=500)).values():
            found.extend((r.value, dict(r.headers)) for r in records)
    finally:
        await consumer.stop()
    return found


async def test_batch_consumer_parks_the_poison_record_and_applies_the_rest(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    topic = f"batch.poison.{unique_name}"
    group = f"batch-{unique_name}"
    await ensure_topics(kafka_bootstrap, {topic: 2, f"{topic}.dlq": 1})
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(METADATA.create_all)
    sessions = create_session_factory(engine)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    values = [f"r{i}".encode() for i in range(40)]
    values[13] = b"poison"
    try:
        for i, value in enumerate(values):
            await producer.send_and_wait(topic, value, key=b"k", partition=i % 2)
    finally:
        await producer.stop()
    consumer = BatchConsumer(
        service="batch-test",
        bootstrap=kafka_bootstrap,
        group_id=group,
        topic=topic,
        offsets=OFFSETS,
        uow_factory=lambda: UnitOfWork(sessions, TABLES),
        apply=_apply,
        max_attempts=2,
        backoff_seconds=0.01,
        fetch_min_bytes=1,
        fetch_max_wait_ms=50,
    )
    parked_before = KAFKA_DLQ.labels("batch-test", topic, group)._value.get()
    task = asyncio.create_task(consumer.run_forever())

    async def seen() -> int:
        async with UnitOfWork(sessions, TABLES) as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(SEEN)) or 0)

    async def offsets() -> dict[int, int]:
        async with UnitOfWork(sessions, TABLES) as uow:
            return await stored_offsets(uow, OFFSETS, group, topic)

    try:
        # every record but the poison one, on both partitions, including those after it
        await eventually(seen, until=lambda n: n == 39, what="the rest applied")
        await eventually(offsets, until=lambda o: o == {0: 20, 1: 20}, what="offsets past it")
    finally:
        await consumer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    [(value, headers)] = await _read(kafka_bootstrap, f"{topic}.dlq", 1)
    assert value == b"poison"
    assert headers["x-error-type"] == b"ValueError"
    assert headers["x-original-topic"] == topic.encode()
    assert headers["x-original-partition"] == b"1"
    assert headers["x-original-offset"] == b"6"  # the 7th record of partition 1
    assert headers["x-consumer-group"] == group.encode()
    assert KAFKA_DLQ.labels("batch-test", topic, group)._value.get() == parked_before + 1
