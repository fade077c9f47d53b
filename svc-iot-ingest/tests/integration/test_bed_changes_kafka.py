"""Issue 11's bed changes through the real broker: a consent, the acceptance workflow (another
payload), a provider change and a withdrawal reach the bed projection in order, and nothing of
them goes to the dead-letter topic."""

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import select

from chassis.kafka.topics import ensure_registry_topics
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS
from iot_ingest.tables import bed_consents, beds
from iot_ingest.testing import bed_envelope, consent_envelope, kafka_settings, running_iot

pytestmark = [pytest.mark.kafka]

DLQ = f"{INTAKE_BEDS.name}.dlq"


def _acceptance(bed_id: str, at: datetime) -> Envelope:
    data = {
        "acceptance_id": f"acc-{bed_id}",
        "bed_id": bed_id,
        "elder_id": f"elder-{bed_id}",
        "provider_id": "p9",
        "jurisdiction": "330100",
        "region_code": "330102",
        "attempt": 1,
        "status": "applied",
        "contract_id": "k-1",
        "investment": [],
        "investment_total_fen": 0,
        "service_period_start": "2026-01-01",
        "service_period_end": "2026-01-31",
        "service_data": [],
        "applied_on": "2026-02-01",
        "occurred_at": at.isoformat(),
    }
    return Envelope(type="bed.acceptance_applied", source="svc-intake", subject=bed_id, data=data)


async def _dead_letters_of(bootstrap: str, bed_id: str) -> list[bytes]:
    """The dead letters of intake.beds.v1 about this bed (other tests poison the topic too)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(DLQ, p) for p in range(INTAKE_BEDS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        total = sum((await consumer.end_offsets(partitions)).values())
        found: list[bytes] = []
        seen = 0
        while seen < total:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                seen += len(records)
                found += [r.value for r in records if r.value and bed_id.encode() in r.value]
        return found
    finally:
        await consumer.stop()


async def test_consents_and_a_provider_change_arrive_in_order(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    settings = kafka_settings(
        database_url, kafka_bootstrap, unique_name, rules_enabled=False, storage_enabled=False
    )
    bed_id = f"bed-{uuid.uuid4().hex[:10]}"
    t0 = datetime.now(UTC) - timedelta(hours=1)
    events = [
        bed_envelope(bed_id, "p9", at=t0),
        consent_envelope(bed_id, provider_id="p9", given_at=t0, at=t0 + timedelta(minutes=1)),
        _acceptance(bed_id, t0 + timedelta(minutes=2)),
        bed_envelope(
            bed_id,
            "p10",
            "provider_changed",
            at=t0 + timedelta(minutes=3),
            status="established",
            previous_provider_id="p9",
        ),
        consent_envelope(
            bed_id, provider_id="p10", kind="withdrawn", given_at=t0, at=t0 + timedelta(minutes=4)
        ),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for envelope in events:
            await producer.send_and_wait(
                INTAKE_BEDS.name,
                orjson.dumps(envelope.model_dump(mode="json")),
                key=bed_id.encode(),
            )
    finally:
        await producer.stop()
    async with running_iot(settings) as iot:

        async def state() -> tuple[str | None, bool | None]:
            async with iot.runtime.uow() as uow:
                provider = await uow.session.scalar(
                    select(beds.c.provider_id).where(beds.c.bed_id == bed_id)
                )
                in_force = await uow.session.scalar(
                    select(bed_consents.c.in_force).where(bed_consents.c.bed_id == bed_id)
                )
                return provider, None if in_force is None else bool(in_force)

        assert await eventually(
            state, until=lambda s: s == ("p10", False), within=60, what="bed changes"
        ) == ("p10", False)
    assert await _dead_letters_of(kafka_bootstrap, bed_id) == []
