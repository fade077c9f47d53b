"""The service against the real Kafka broker, on SQLite and PostgreSQL."""

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import select

from chassis.kafka.batch import stored_offsets
from chassis.kafka.topics import ensure_registry_topics
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, IOT_ALARMS, IOT_TELEMETRY, TOPICS_BY_NAME
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.tables import alarms, beds, consumer_offsets, latest_values
from iot_ingest.telemetry.codec import encode_telemetry
from iot_ingest.testing import (
    bed_envelope,
    kafka_settings,
    now_iso,
    running_iot,
    wait_kafka_ready,
)

pytestmark = [pytest.mark.kafka]


_settings = kafka_settings
_wait_ready = wait_kafka_ready


async def _latest_consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in range(TOPICS_BY_NAME[topic].partitions)]
    consumer.assign(partitions)
    for tp, offset in (await consumer.end_offsets(partitions)).items():
        consumer.seek(tp, offset)
    return consumer


async def _find(consumer: AIOKafkaConsumer, match, within: float = 30.0) -> Envelope:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            for record in records:
                envelope = Envelope.model_validate_json(record.value)
                if match(envelope):
                    return envelope
    raise AssertionError("expected event not seen")


async def test_telemetry_end_to_end_raises_an_alarm_and_stores_values(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    settings = _settings(database_url, kafka_bootstrap, unique_name)
    async with running_iot(settings) as iot:
        await _wait_ready(iot)
        device = await iot.add_device(await iot.add_bed())
        start = datetime.now(UTC) - timedelta(seconds=90)
        readings = [
            {
                "seq": i,
                "ts": (start + timedelta(seconds=10 * i)).isoformat(),
                "metric": "heart_rate",
                "value": 135,
            }
            for i in range(8)
        ]
        telemetry = await _latest_consumer(kafka_bootstrap, IOT_TELEMETRY.name)
        try:
            response = await iot.post_readings(device["token"], readings)
            assert response.status_code == 202
            assert response.json()["accepted"] == 8
            published = await _find(telemetry, lambda e: e.subject == device["device_id"])
            assert len(published.data["readings"]) == 8
        finally:
            await telemetry.stop()

        async def alarm_types() -> list[str]:
            async with iot.runtime.uow() as uow:
                return list(
                    (
                        await uow.session.execute(
                            select(alarms.c.alarm_type).where(alarms.c.bed_id == device["bed_id"])
                        )
                    ).scalars()
                )

        assert await eventually(alarm_types, what="rule alarm") == ["heart_rate_high"]

        async def stored() -> list:
            async with iot.runtime.uow() as uow:
                return (
                    (
                        await uow.session.execute(
                            select(latest_values.c.value).where(
                                latest_values.c.device_id == device["device_id"]
                            )
                        )
                    )
                    .scalars()
                    .all()
                )

        assert await eventually(stored, what="latest value") == [135.0]


BACKLOG_MESSAGES = 1000
READINGS_PER_MESSAGE = 50


async def _flood(bootstrap: str, device: dict, bed_id: str) -> int:
    """A telemetry backlog straight onto the topic (the devices' lane is rate-limited)."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    start = datetime.now(UTC) - timedelta(hours=2)
    try:
        futures = []
        for m in range(BACKLOG_MESSAGES):
            readings = [
                ReadingIn(
                    seq=m * READINGS_PER_MESSAGE + i,
                    ts=start + timedelta(milliseconds=m * READINGS_PER_MESSAGE + i),
                    metric="heart_rate",
                    value=70.0,
                )
                for i in range(READINGS_PER_MESSAGE)
            ]
            _, value = encode_telemetry(
                source="svc-iot-ingest",
                device_id=device["device_id"],
                bed_id=bed_id,
                provider_id="p1",
                device_type="vital_signs_monitor",
                readings=readings,
                received_at=datetime.now(UTC),
            )
            futures.append(
                # keyed by bed as the lane keys it: the partition whose applied offset is known
                await producer.send(IOT_TELEMETRY.name, value, key=bed_id.encode())
            )
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return BACKLOG_MESSAGES


async def _telemetry_lag(iot, bootstrap: str, group: str) -> int:
    """Messages on the telemetry topic not yet applied by `group` (its offsets in the database)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [
            TopicPartition(IOT_TELEMETRY.name, p) for p in range(IOT_TELEMETRY.partitions)
        ]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    async with iot.runtime.uow() as uow:
        applied = await stored_offsets(uow, consumer_offsets, group, IOT_TELEMETRY.name)
    # a partition with no stored offset yet started at the end (telemetry_start_latest)
    return sum(max(0, end - applied.get(tp.partition, end)) for tp, end in ends.items())


async def test_alarm_goes_out_at_once_while_the_telemetry_backlog_waits(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    """A real backlog (measured as lag of the live telemetry consumers) is still there when the
    fall alarm raised behind it has already been published and read: the alarm never queues."""
    await ensure_registry_topics(kafka_bootstrap)
    # consumers on; the monitor posts 48 batches back to back, above a device's rate limit
    # (20/s, burst 40) on a fast enough machine: the limit is not what this test is about
    settings = _settings(
        database_url,
        kafka_bootstrap,
        unique_name,
        telemetry_rate_per_device=1000.0,
        telemetry_burst_per_device=1000.0,
    )
    async with running_iot(settings) as iot:
        await _wait_ready(iot)
        bed = await iot.add_bed()
        monitor = await iot.add_device(bed)
        fall = await iot.add_device(bed, "fall_detector")
        # every partition gets an applied offset first, so lag is measured from a known point
        for seq in range(IOT_TELEMETRY.partitions * 4):
            ack = await iot.post_readings(
                monitor["token"],
                [{"seq": seq, "ts": now_iso(), "metric": "heart_rate", "value": 70}],
            )
            assert ack.status_code == 202
        group = settings.storage_group

        async def rules_and_storage_lag() -> tuple[int, int]:
            return (
                await _telemetry_lag(iot, kafka_bootstrap, settings.rules_group),
                await _telemetry_lag(iot, kafka_bootstrap, group),
            )

        await eventually(rules_and_storage_lag, until=lambda lags: lags == (0, 0), what="idle")
        # polls of 50 messages: this backlog then drains in as many commits as one 100 times
        # larger would with the production poll of 5000, in a hundredth of the test's time
        consumers = iot.app.state.telemetry_consumers
        for consumer in consumers:
            consumer._max_records = 50
        # The consumers stay started and polling, but each waits for its apply lock, held here
        # until the alarm has been read: the backlog exists by construction, not because the
        # flood happened to outrun them on this machine (a race either way on a loaded box).
        async with contextlib.AsyncExitStack() as held:
            for consumer in consumers:
                await held.enter_async_context(consumer._lock)
            await _flood(kafka_bootstrap, monitor, bed)
            backlog = await rules_and_storage_lag()
            assert min(backlog) >= BACKLOG_MESSAGES, backlog
            alarms_topic = await _latest_consumer(kafka_bootstrap, IOT_ALARMS.name)
            try:
                raised = await iot.client.post(
                    "/v1/device-events",
                    json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"},
                    headers={"Authorization": f"Bearer {fall['token']}"},
                )
                assert raised.status_code == 201
                alarm_id = raised.json()["alarm_id"]
                event = await _find(alarms_topic, lambda e: e.subject == alarm_id)
                assert event.type == "alarm.raised"
                assert event.data["bed_id"] == bed
                at_alarm = await rules_and_storage_lag()
            finally:
                await alarms_topic.stop()
            # the alarm was read while every reading sent before it was still waiting ...
            assert min(at_alarm) >= BACKLOG_MESSAGES, at_alarm
        # ... and the consumers were live all along: the backlog drains
        await eventually(
            rules_and_storage_lag, until=lambda lags: lags == (0, 0), within=120, what="drained"
        )


async def test_beds_arrive_from_intake(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    settings = _settings(
        database_url, kafka_bootstrap, unique_name, rules_enabled=False, storage_enabled=False
    )
    bed_id = f"bed-{uuid.uuid4().hex[:10]}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        envelope = bed_envelope(bed_id, "p9")
        await producer.send_and_wait(
            INTAKE_BEDS.name,
            orjson.dumps(envelope.model_dump(mode="json")),
            key=bed_id.encode(),
        )
    finally:
        await producer.stop()
    async with running_iot(settings) as iot:

        async def known() -> bool:
            async with iot.runtime.uow() as uow:
                return bool(
                    await uow.session.scalar(select(beds.c.active).where(beds.c.bed_id == bed_id))
                )

        assert await eventually(known, within=60, what="bed from intake")
