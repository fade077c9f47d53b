"""Over real Kafka and PostgreSQL: bed.established on intake.beds.v1 → roster → verified visit →
a missed day → minimum.breached on records.visits.v1; a poison bed event goes to the DLQ."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from asgi_lifespan import LifespanManager

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from homebed_schemas.topics import INTAKE_BEDS, RECORDS_VISITS
from service_records.bootstrap import create_app
from service_records.service.closing import close_days
from service_records.testing import add_worker, admin, bed_event, caregiver, records_settings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def _read(bootstrap: str, topic: str, subject: str) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        found = [orjson.loads(r.value) for rs in batches.values() for r in rs]
        return [e for e in found if e.get("subject") == subject or subject in str(e)]
    finally:
        await consumer.stop()


async def test_bed_to_breach_over_kafka(
    kafka_bootstrap: str, postgres_url: str, unique_name: str
) -> None:
    await ensure_topics(kafka_bootstrap, topic_names_with_partitions([INTAKE_BEDS, RECORDS_VISITS]))
    clock = ManualClock(datetime(2022, 6, 1, 4, tzinfo=UTC))
    settings = records_settings(
        postgres_url,
        kafka_enabled=True,
        kafka_bootstrap=kafka_bootstrap,
        beds_group=f"records-beds-{unique_name}",
        outbox_poll_seconds=0.05,
        consumer_max_attempts=1,
    )
    app = create_app(settings, clock=clock)
    bed_id = f"bed-{unique_name}"
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        runtime = app.state.runtime
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            poison = bed_event(bed_id=f"poison-{unique_name}").model_copy(
                update={"data": {"bed_id": "x"}}
            )
            await producer.send_and_wait(INTAKE_BEDS.name, encode_envelope(poison), key=b"x")
            await producer.send_and_wait(
                INTAKE_BEDS.name, encode_envelope(bed_event(bed_id=bed_id)), key=bed_id.encode()
            )
        finally:
            await producer.stop()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://records") as client:

            async def bed_known() -> bool:
                r = await client.get(f"/v1/roster/{bed_id}", headers=admin())
                return r.status_code == 200

            await eventually(bed_known, until=bool, within=60)
            await add_worker(client, sub=f"cg-{unique_name}", assign_to=bed_id)
            opened = await client.post(
                "/v1/visits",
                json={
                    "bed_id": bed_id,
                    "check_in": {"at": "2022-06-01T01:00:00Z", "method": "manual"},
                    "caregiver_present": True,
                },
                headers=caregiver(f"cg-{unique_name}"),
            )
            closed = await client.post(
                f"/v1/visits/{opened.json()['id']}/check-out",
                json={"check_out": {"at": "2022-06-01T02:00:00Z", "method": "manual"}},
                headers=caregiver(f"cg-{unique_name}"),
            )
            assert closed.json()["status"] == "verified"
            clock.set(datetime(2022, 6, 3, 4, tzinfo=UTC))
            # beds of earlier runs on the shared topic are judged too: count this bed's below
            assert await close_days(uow_factory=runtime.uow, clock=clock) >= 1

        async def published() -> list[str]:
            return sorted(
                str(e["type"]) for e in await _read(kafka_bootstrap, RECORDS_VISITS.name, bed_id)
            )

        types = await eventually(published, until=lambda t: "minimum.breached" in t, within=60)
        assert types == ["minimum.breached", "visit.verified"]
        dead = await _read(kafka_bootstrap, INTAKE_BEDS.dlq, "poison")
        assert dead
