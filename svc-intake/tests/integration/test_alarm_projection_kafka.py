"""With the real broker: intake's consumer follows an alarm's lifecycle on `iot.alarms.v1` into
its bed alarm projection (raised, dispatched, reassigned, resolved; duplicates and events that
change nothing skipped), so the emergency contact is read only by the assignee of an open alarm
(issue 10 item 15)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent, AlarmSeverity
from homebed_schemas.topics import IOT_ALARMS, IOT_DEVICES
from intake.bootstrap import create_app
from intake.repository_alarms import BedAlarmRepository

pytestmark = pytest.mark.kafka
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def kafka_app(
    kafka_bootstrap: str, sqlite_url: str, unique_name: str, clock: Any, settings_for: Any
) -> AsyncIterator[FastAPI]:
    await ensure_topics(kafka_bootstrap, topic_names_with_partitions([IOT_DEVICES, IOT_ALARMS]))
    settings = settings_for(
        sqlite_url,
        kafka_enabled=True,
        kafka_bootstrap=kafka_bootstrap,
        devices_group=f"svc-intake-devices-{unique_name}",
        outbox_poll_seconds=0.05,
    )
    application = create_app(settings, clock=clock)
    async with LifespanManager(application, startup_timeout=60, shutdown_timeout=60):
        await asyncio.wait_for(application.state.runtime.kafka_connected.wait(), 60)
        yield application


def _envelope(
    bed_id: str, alarm_id: str, kind: str, status: str, assignee: str | None, minutes: float
) -> Envelope:
    at = T0 + timedelta(minutes=minutes)
    data = AlarmEvent(
        alarm_id=alarm_id,
        bed_id=bed_id,
        provider_id="prov-a",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        status=status,
        count=1,
        raised_at=T0,
        arrival_deadline=T0 + timedelta(minutes=15),
        assignee=assignee,
        occurred_at=at,
    )
    return Envelope(
        type=f"alarm.{kind}",
        source="svc-iot-ingest",
        subject=alarm_id,
        time=at,
        data=data.model_dump(mode="json"),
    )


async def test_the_projection_follows_the_alarm_lifecycle_over_kafka(
    kafka_app: FastAPI, kafka_bootstrap: str
) -> None:
    bed_id, alarm_id = f"bed-{uuid.uuid4().hex[:8]}", str(uuid.uuid4())

    async def assignees() -> list[str | None]:
        async with kafka_app.state.runtime.uow() as uow:
            return [a.assignee for a in await uow.repo(BedAlarmRepository).open_of_bed(bed_id)]

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()

    async def publish(*envelopes: Envelope) -> None:
        for envelope in envelopes:
            await producer.send_and_wait(
                IOT_ALARMS.name,
                orjson.dumps(envelope.model_dump(mode="json")),
                key=bed_id.encode(),  # iot.alarms.v1 is keyed by bed: one bed, one order
            )

    try:
        dispatched = _envelope(bed_id, alarm_id, "dispatched", "dispatched", "carer-1", 2)
        await publish(
            _envelope(bed_id, alarm_id, "raised", "raised", None, 0),
            _envelope(bed_id, alarm_id, "acknowledged", "acknowledged", None, 1),
            dispatched,
            dispatched,  # a redelivery: the runner skips it
        )
        await eventually(assignees, until=lambda a: a == ["carer-1"], within=60, what="dispatch")

        await publish(
            _envelope(bed_id, alarm_id, "dispatched", "dispatched", "carer-2", 6),
            _envelope(bed_id, alarm_id, "escalated", "dispatched", "carer-1", 2),  # skipped
            _envelope(bed_id, alarm_id, "arrived", "arrived", "carer-2", 9),
        )
        await eventually(assignees, until=lambda a: a == ["carer-2"], within=60, what="reassign")

        await publish(_envelope(bed_id, alarm_id, "resolved", "resolved", "carer-2", 25))
        await eventually(assignees, until=lambda a: a == [], within=60, what="resolved")
    finally:
        await producer.stop()

    async with kafka_app.state.runtime.uow() as uow:
        stored = await uow.repo(BedAlarmRepository).get(alarm_id)
    assert stored is not None
    assert (stored.status, stored.assignee, stored.open) == ("resolved", "carer-2", False)
