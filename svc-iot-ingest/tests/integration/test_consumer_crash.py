"""The telemetry storage consumer killed for real (SIGKILL) right after a database commit: its
offsets live in the same transaction, so the restarted consumer resumes exactly there — every
reading counted once (PostgreSQL, real Kafka)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import func, select

from chassis.db import UnitOfWork, create_engine, create_session_factory
from chassis.kafka.batch import stored_offsets
from chassis.kafka.crash import CRASH_ENV
from chassis.kafka.topics import ensure_topics
from chassis.testing.eventually import eventually
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.tables import CHASSIS_TABLES, consumer_offsets, metadata, minute_aggregates
from iot_ingest.telemetry.codec import encode_telemetry

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.long(40)]

WORKER = Path(__file__).with_name("storage_worker.py")
MESSAGES = 30
READINGS = 10


async def _produce(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True)
    await producer.start()
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    try:
        for m in range(MESSAGES):
            readings = [
                ReadingIn(
                    seq=m * READINGS + i,
                    ts=start + timedelta(seconds=m * READINGS + i),
                    metric="heart_rate",
                    value=70.0 + i,
                )
                for i in range(READINGS)
            ]
            _, value = encode_telemetry(
                source="svc-iot-ingest",
                device_id="dev-crash",
                bed_id="bed-crash",
                provider_id="p1",
                device_type="vital_signs_monitor",
                readings=readings,
                received_at=datetime.now(UTC),
            )
            await producer.send_and_wait(topic, value, key=b"dev-crash", partition=0)
    finally:
        await producer.stop()


async def _kafka_committed(bootstrap: str, topic: str, group: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(topic, 0)) or 0
    finally:
        await consumer.stop()


async def _spawn(args: list[str], env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), *args, env=env, stdout=asyncio.subprocess.DEVNULL
    )


async def test_storage_consumer_sigkilled_after_its_db_commit_counts_every_reading_once(
    postgres_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    topic = f"iot.telemetry.crash.{unique_name}"
    group = f"iot-storage-{unique_name}"
    await ensure_topics(kafka_bootstrap, {topic: 1, f"{topic}.dlq": 1})
    engine = create_engine(postgres_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    sessions = create_session_factory(engine)

    async def readings_counted() -> int:
        async with UnitOfWork(sessions, CHASSIS_TABLES) as uow:
            total = await uow.session.scalar(select(func.sum(minute_aggregates.c.count)))
            return int(total or 0)

    async def db_offset() -> int:
        async with UnitOfWork(sessions, CHASSIS_TABLES) as uow:
            return (await stored_offsets(uow, consumer_offsets, group, topic)).get(0, 0)

    await _produce(kafka_bootstrap, topic)
    args = [postgres_url, kafka_bootstrap, topic, group, "4"]  # batches of at most 4 messages
    worker = await _spawn(args, {**os.environ, CRASH_ENV: "10"})
    try:
        returncode = await asyncio.wait_for(worker.wait(), 60)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    try:
        assert returncode == -signal.SIGKILL
        applied = await db_offset()
        assert applied >= 10  # the batch that reached 10 messages is committed ...
        assert await readings_counted() == applied * READINGS
        # ... while Kafka's copy of the offset (committed after it) stays behind
        assert await _kafka_committed(kafka_bootstrap, topic, group) < applied
        survivor = await _spawn(args, {k: v for k, v in os.environ.items() if k != CRASH_ENV})
        try:
            await eventually(db_offset, until=lambda o: o == MESSAGES, within=60, what="caught up")
        finally:
            survivor.kill()
            await survivor.wait()
        assert await readings_counted() == MESSAGES * READINGS  # none twice, none lost
    finally:
        await engine.dispose()
