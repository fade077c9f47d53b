"""Over real Kafka and PostgreSQL, as iot-ingest publishes them on iot.alarms.v1: step 1 (the
on-call caregiver) is not acknowledged and repeats; step 2 (the on-call duty manager, by SMS)
is acknowledged; step 3 never fires, even when its escalation arrives late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, IOT_ALARMS, IOT_DEVICES
from notify.sms_stub import StubState
from notify.testing import (
    alarm_envelope,
    bed_envelope,
    notify_settings,
    officer,
    person,
    running_notify,
    staff_with_schedules,
    stub_channels,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def start_group_at_end(bootstrap: str, group: str, topics: list[str]) -> None:
    """The shared topics hold other tests' events: this run's group starts after them."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in sorted(
                consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
            )
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit({tp: OffsetAndMetadata(offset, "") for tp, offset in ends.items()})
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def test_escalation_until_acknowledged_over_kafka(
    kafka_bootstrap: str, postgres_url: str, unique_name: str
) -> None:
    await ensure_topics(
        kafka_bootstrap, topic_names_with_partitions([INTAKE_BEDS, IOT_ALARMS, IOT_DEVICES])
    )
    clock = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    settings = notify_settings(
        postgres_url,
        kafka_enabled=True,
        kafka_bootstrap=kafka_bootstrap,
        consumer_group=f"notify-{unique_name}",
        background_dispatch=True,
        dispatch_poll_seconds=0.05,
        sweep_seconds=0.05,
        consumer_max_attempts=2,
    )
    await start_group_at_end(
        kafka_bootstrap,
        f"notify-{unique_name}",
        [INTAKE_BEDS.name, IOT_ALARMS.name, IOT_DEVICES.name],
    )
    stub = StubState()
    bed, alarm = f"bed-{unique_name}", f"al-{unique_name}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()

    async def publish(topic: str, envelope: Envelope) -> None:
        await producer.send_and_wait(topic, encode_envelope(envelope), key=bed.encode())

    try:
        async with (
            stub_channels(stub) as channels,
            running_notify(settings, clock=clock, channels=channels) as notify,
        ):
            await staff_with_schedules(notify, clock)
            await publish(INTAKE_BEDS.name, bed_envelope(bed, at=clock()))
            raised_at = clock()
            await publish(
                IOT_ALARMS.name,
                alarm_envelope(
                    "alarm.raised", alarm_id=alarm, bed_id=bed, raised_at=raised_at, at=raised_at
                ),
            )

            async def unread(sub: str) -> int:
                """This test's messages (the topic holds earlier runs' alarms of provider p1)."""
                answer = await notify.client.get(
                    "/v1/inbox", params={"unread": True, "limit": 100}, headers=person(sub)
                )
                items = answer.json()["items"]
                return sum(1 for i in items if i["subject"].startswith(alarm))

            await eventually(lambda: unread("cg-1"), until=lambda n: n == 1, within=60)
            clock.advance(timedelta(minutes=1))  # step 1 unacknowledged: repeated
            await eventually(lambda: unread("cg-1"), until=lambda n: n == 2, within=30)

            # iot-ingest escalates (its policy's instant); notify's clock moves on only once
            # step 2 is out: step 1's next reminder (due at that minute) is not a race with it
            await publish(
                IOT_ALARMS.name,
                alarm_envelope(
                    "alarm.escalated",
                    alarm_id=alarm,
                    bed_id=bed,
                    raised_at=raised_at,
                    at=clock() + timedelta(minutes=1),
                    escalation_level=1,
                    escalation_target="duty_manager",
                ),
            )

            async def sms_count() -> int:
                return len(stub.messages)

            await eventually(sms_count, until=lambda n: n == 1, within=30)
            assert stub.messages[0]["to"] == "13900000002"
            clock.advance(timedelta(minutes=1))

            await publish(
                IOT_ALARMS.name,
                alarm_envelope(
                    "alarm.acknowledged",
                    alarm_id=alarm,
                    bed_id=bed,
                    raised_at=raised_at,
                    at=clock(),
                    status="acknowledged",
                    actor="dm-1",
                ),
            )

            async def state() -> str:
                answer = await notify.record(alarm, officer("330102"))
                found: str = answer.json()["state"]
                return found

            await eventually(state, until=lambda s: s == "acknowledged", within=30)
            clock.advance(timedelta(minutes=10))  # no repeat of step 2 from now on
            await publish(
                IOT_ALARMS.name,
                alarm_envelope(
                    "alarm.escalated",
                    alarm_id=alarm,
                    bed_id=bed,
                    raised_at=raised_at,
                    at=clock(),
                    escalation_level=2,
                    escalation_target="director",
                ),
            )
            # a later event of the same bed (same partition): once it is delivered, the late
            # escalation before it has been handled too
            marker = f"{alarm}-next"
            await publish(
                IOT_ALARMS.name,
                alarm_envelope(
                    "alarm.raised",
                    alarm_id=marker,
                    bed_id=bed,
                    raised_at=clock(),
                    at=clock(),
                    alarm_type="sos_pressed",
                ),
            )
            await eventually(lambda: unread("cg-1"), until=lambda n: n == 3, within=30)

            record = (await notify.record(alarm, officer("330102"))).json()
            steps = sorted(
                {(d["recipient_id"], d["step"], d["repeat_no"]) for d in record["deliveries"]}
            )
            people = [s for s in steps if not s[0].startswith("centre:")]
            assert people == [("cg-1", 1, 0), ("cg-1", 1, 1), ("dm-1", 2, 0)]
            assert record["acknowledged_by"] == "dm-1"
            assert {d["status"] for d in record["deliveries"]} == {"sent"}
            assert len(stub.messages) == 1
    finally:
        await producer.stop()
