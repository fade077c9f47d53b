"""Over real Kafka and PostgreSQL (issue 11 item 3): svc-referral's `referral.completed` for a
nursing home (000 §三(五) "需要转至养老机构入住的，通过市级平台发起转养申请") ends the bed on the
admission day, once even when delivered twice, and intake publishes `bed.transferred` with the
contract dissolved that day and the 5-working-day deadline (001 §四(六)); a poison referral
event goes to the DLQ; the consumer keeps going."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from asgi_lifespan import LifespanManager

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, IOT_DEVICES, REFERRAL_REFERRALS
from intake.bootstrap import create_app
from intake.tables import ApplicationRow, BedRow, ContractRow, ElderRow

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def read_all(bootstrap: str, topic: str) -> list[tuple[Envelope | None, bytes]]:
    """Every record of `topic` up to its current end (decoded when it is an envelope)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found: list[tuple[Envelope | None, bytes]] = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        envelope = Envelope.model_validate(orjson.loads(record.value))
                    except ValueError:
                        envelope = None
                    found.append((envelope, record.value))
        return found
    finally:
        await consumer.stop()


async def add_running_bed(app: Any, suffix: str) -> str:
    """An established Xuancheng bed with its contract (rows as the lifecycle leaves them)."""
    elder_id, bed_id = f"elder-{suffix}", f"bed-{suffix}"
    async with app.state.runtime.uow() as uow:
        uow.session.add(
            ElderRow(
                id=elder_id,
                id_number_index=suffix.ljust(64, "0"),
                id_number_sealed="v1.k0.x",
                id_number_key_id="k0",
                id_number_tail="0010",
                name="王",
                sex="male",
                birth_date=date(1940, 1, 1),
                created_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            ApplicationRow(
                id=f"app-{suffix}",
                elder_id=elder_id,
                jurisdiction="341800",
                region_code="341802",
                provider_id="prov-a",
                status="approved",
                channel="online",
                applicant_sub="f",
                form={},
                reviews=[],
                created_at=T0,
                updated_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            BedRow(
                id=bed_id,
                application_id=f"app-{suffix}",
                elder_id=elder_id,
                active_elder_id=elder_id,
                applicant_sub="f",
                provider_id="prov-a",
                jurisdiction="341800",
                region_code="341802",
                status="accepted",
                economic_status="other",
                guidance={},
                inspections=[],
                established_on=date(2026, 3, 2),
                accepted_on=date(2026, 4, 2),
                created_at=T0,
                updated_at=T0,
            )
        )
        await uow.session.flush()
        uow.session.add(
            ContractRow(
                id=f"contract-{suffix}",
                bed_id=bed_id,
                elder_id=elder_id,
                provider_id="prov-a",
                start=date(2026, 3, 2),
                end=date(2026, 9, 1),
                base_package_fee_fen=80_000,
                personal_items=[],
                is_first=True,
                signed_on=date(2026, 3, 1),
                signed_by="admin-a",
                created_at=T0,
            )
        )
        await uow.commit()
    return bed_id


def completed(referral_id: str, bed_id: str, elder_id: str) -> bytes:
    data = {
        "referral_id": referral_id,
        "path": "nursing_home",
        "status": "completed",
        "bed_id": bed_id,
        "elder_id": elder_id,
        "provider_id": "prov-a",
        "requester": {"organisation_id": "prov-a", "kind": "home_bed_provider"},
        "receiver": {"organisation_id": "nh-1", "name": "宣城市社会福利院", "kind": "nursing_home"},
        "admitted_on": "2026-04-28",
        "occurred_at": datetime(2026, 4, 28, 8, 0, tzinfo=UTC).isoformat(),
    }
    return encode_envelope(
        Envelope(type="referral.completed", source="svc-referral", subject=referral_id, data=data)
    )


async def test_a_nursing_home_admission_transfers_the_bed_over_kafka(
    kafka_bootstrap: str,
    postgres_url: str,
    unique_name: str,
    settings_for: Callable[..., Any],
    provider_registry: Callable[..., Any],
) -> None:
    await ensure_topics(
        kafka_bootstrap,
        topic_names_with_partitions([INTAKE_BEDS, IOT_DEVICES, REFERRAL_REFERRALS]),
    )
    clock = ManualClock(datetime(2026, 4, 29, 2, 0, tzinfo=UTC))
    settings = settings_for(
        postgres_url,
        kafka_enabled=True,
        kafka_bootstrap=kafka_bootstrap,
        devices_group=f"svc-intake-{unique_name}",
        outbox_poll_seconds=0.05,
        consumer_max_attempts=1,
    )
    app = create_app(settings, clock=clock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        runtime = app.state.runtime
        await asyncio.wait_for(runtime.kafka_connected.wait(), 60)
        await provider_registry(app, "prov-a")
        bed_id = await add_running_bed(app, unique_name)
        referral_id = f"ref-{unique_name}"
        message = completed(referral_id, bed_id, f"elder-{unique_name}")
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            topic = REFERRAL_REFERRALS.name
            poison = f"poison-{unique_name}".encode()
            await producer.send_and_wait(topic, b"{not an envelope " + poison, key=poison)
            await producer.send_and_wait(topic, message, key=referral_id.encode())
            await producer.send_and_wait(topic, message, key=referral_id.encode())  # redelivery
        finally:
            await producer.stop()

        async def bed_status() -> tuple[str, date | None, date | None]:
            async with runtime.uow() as uow:
                bed = await uow.session.get(BedRow, bed_id)
                assert bed is not None
                return bed.status, bed.contract_dissolved_on, bed.update_deadline

        ended = await eventually(bed_status, until=lambda s: s[0] == "transferred", within=60)
        # admitted Tue 28 April; 1-5 May are the Labour Day holiday, Sat 9 May a make-up day
        assert ended == ("transferred", date(2026, 4, 28), date(2026, 5, 8))
        await eventually(runtime.relay.backlog, until=lambda n: n == 0, what="outbox drained")

    published = [e for e, _raw in await read_all(kafka_bootstrap, INTAKE_BEDS.name) if e]
    mine = [e for e in published if e.subject == bed_id]
    assert [e.type for e in mine] == ["bed.transferred"]
    assert mine[0].data["transfer_target"] == "nursing_home"
    assert mine[0].data["contract_dissolved_on"] == "2026-04-28"
    assert mine[0].data["update_deadline"] == "2026-05-08"
    dead = await read_all(kafka_bootstrap, REFERRAL_REFERRALS.dlq)
    assert any(poison in raw for _e, raw in dead)
