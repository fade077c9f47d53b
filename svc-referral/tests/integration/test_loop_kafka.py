"""The whole loop of every path over real Kafka and PostgreSQL, svc-referral and svc-intake each
with its own database: referral events go out through the outbox, intake consumes them and moves
the bed (000 §三(五), 003 §四.5, 004 §二(四)1):

- nursing home: the admission (completed) transfers the bed (转养);
- family sickbed: completed combines the bed with it, service_ended undoes it;
- hospital (with the family's consent): completed suspends the bed, service_ended resumes it;
- disability federation: the bed stays as it is;
- hospital → home bed: the provider's acceptance opens a pre-filled application in intake.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from chassis.testing.fixtures import _create_database, _database_url, _drop_database
from homebed_schemas.topics import INTAKE_BEDS, IOT_ALARMS, IOT_DEVICES, REFERRAL_REFERRALS
from intake.bootstrap import create_app as create_intake
from intake.settings import Settings as IntakeSettings
from intake.tables import (
    ApplicationRow,
    BedReferralRow,
    BedRow,
    ContractRow,
    DischargeApplicationRow,
    ElderRow,
)
from referral.bootstrap import create_app as create_referral
from referral.tables import BedRow as ReferralBedRow
from referral.testing import admin, bed_event, family, hospital, referral_settings

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 29, 2, 0, tzinfo=UTC)  # Wednesday 10:00 Shanghai


@pytest.fixture
def intake_url(postgres_dsn: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    asyncio.run(_create_database(postgres_dsn, name))
    try:
        yield _database_url(postgres_dsn, name)
    finally:
        asyncio.run(_drop_database(postgres_dsn, name))


@pytest.fixture
async def services(
    kafka_bootstrap: str, postgres_url: str, intake_url: str, unique_name: str
) -> AsyncIterator[tuple[FastAPI, FastAPI, httpx.AsyncClient]]:
    await ensure_topics(
        kafka_bootstrap,
        topic_names_with_partitions([INTAKE_BEDS, IOT_DEVICES, IOT_ALARMS, REFERRAL_REFERRALS]),
    )
    clock = ManualClock(NOW)
    kafka: dict[str, Any] = {
        "kafka_enabled": True,
        "kafka_bootstrap": kafka_bootstrap,
        "outbox_poll_seconds": 0.05,
        "consumer_max_attempts": 1,
    }
    intake = create_intake(
        IntakeSettings.model_validate(
            {
                "database_url": intake_url,
                "log_json": False,
                "devices_group": f"svc-intake-{unique_name}",
                **kafka,
            }
        ),
        clock=clock,
    )
    referral = create_referral(
        referral_settings(postgres_url, service_name=f"svc-referral-{unique_name}", **kafka),
        clock=clock,
    )
    async with (
        LifespanManager(intake, startup_timeout=60, shutdown_timeout=60),
        LifespanManager(referral, startup_timeout=60, shutdown_timeout=60),
    ):
        for app in (intake, referral):
            await asyncio.wait_for(app.state.runtime.kafka_connected.wait(), 60)
        transport = httpx.ASGITransport(app=referral)
        async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
            yield intake, referral, client


async def running_bed(intake: FastAPI, referral: FastAPI, suffix: str) -> str:
    """An accepted Xuancheng bed in intake (rows as its lifecycle leaves them), announced on
    intake.beds.v1 for referral's projection."""
    elder_id, bed_id = f"elder-{suffix}", f"bed-{suffix}"
    async with intake.state.runtime.uow() as uow:
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
                applicant_sub="family-1",
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
                applicant_sub="family-1",
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
    settings = referral.state.settings
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap)
    await producer.start()
    try:
        event = bed_event(
            bed_id=bed_id, region_code="341802", jurisdiction="341800", applicant_sub="family-1"
        )
        data = {**event.data, "elder_id": elder_id}
        envelope = event.model_copy(update={"data": data})
        await producer.send_and_wait(
            INTAKE_BEDS.name, encode_envelope(envelope), key=bed_id.encode()
        )
    finally:
        await producer.stop()

    async def projected() -> bool:
        async with referral.state.runtime.uow() as uow:
            return await uow.session.get(ReferralBedRow, bed_id) is not None

    await eventually(projected, until=bool, within=60, what="bed projected in referral")
    return bed_id


async def loop(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    receiver: dict[str, str],
    requester: dict[str, str] | None = None,
) -> str:
    sent = await client.post("/v1/referrals", json=body, headers=requester or admin())
    assert sent.status_code == 201, sent.text
    rid: str = sent.json()["id"]
    for action in ("receive", "accept", "start"):
        answer = await client.post(
            f"/v1/referrals/{rid}/actions/{action}", json={}, headers=receiver
        )
        assert answer.status_code == 200, answer.text
    done = await client.post(
        f"/v1/referrals/{rid}/actions/complete", json={"day": "2026-04-29"}, headers=receiver
    )
    assert done.status_code == 200, done.text
    return rid


async def intake_bed(intake: FastAPI, bed_id: str) -> BedRow:
    async with intake.state.runtime.uow() as uow:
        found = await uow.session.get(BedRow, bed_id)
        assert found is not None
        uow.session.expunge(found)
        return found


async def outcome(intake: FastAPI, rid: str) -> str | None:
    async with intake.state.runtime.uow() as uow:
        row = await uow.session.get(BedReferralRow, rid)
        return None if row is None else f"{row.status}|{row.outcome}"


async def test_every_path_closes_its_loop_over_kafka(
    services: tuple[FastAPI, FastAPI, httpx.AsyncClient],
) -> None:
    intake, referral, client = services
    suffix = uuid.uuid4().hex[:8]

    # 转养: the nursing home's admission ends the bed through intake's transfer
    bed = await running_bed(intake, referral, f"nh{suffix}")
    await loop(
        client,
        {"path": "nursing_home", "bed_id": bed, "receiver": {"organisation_id": "nh-1"}},
        admin("nh-1"),
    )
    ended = await eventually(
        lambda: intake_bed(intake, bed), until=lambda b: b.status == "transferred", within=60
    )
    assert ended.contract_dissolved_on == date(2026, 4, 29)
    assert ended.update_deadline == date(2026, 5, 9)  # Labour Day off, Sat 9 May a make-up day

    # family sickbed: combined on completion, separated when it closes
    bed = await running_bed(intake, referral, f"fs{suffix}")
    rid = await loop(
        client,
        {"path": "family_sickbed", "bed_id": bed, "receiver": {"organisation_id": "chc-1"}},
        admin("chc-1"),
    )
    linked = await eventually(
        lambda: intake_bed(intake, bed),
        until=lambda b: b.family_sickbed_referral_id == rid,
        within=60,
    )
    assert linked.status == "accepted"
    ended_service = await client.post(
        f"/v1/referrals/{rid}/actions/end_service",
        json={"day": "2026-04-29"},
        headers=admin("chc-1"),
    )
    assert ended_service.status_code == 200, ended_service.text
    await eventually(
        lambda: intake_bed(intake, bed),
        until=lambda b: b.family_sickbed_referral_id is None,
        within=60,
    )

    # back to hospital: only with the family's consent; the stay suspends the bed
    bed = await running_bed(intake, referral, f"ho{suffix}")
    consent = await client.post(
        "/v1/consents",
        json={
            "bed_id": bed,
            "grantor": "family",
            "receiver_id": "hosp-1",
            "categories": ["basic_info"],
            "valid_from": "2026-04-01T00:00:00Z",
            "valid_until": "2026-06-01T00:00:00Z",
            "method": "in_app",
        },
        headers=family(),
    )
    assert consent.status_code == 201, consent.text
    body = {
        "path": "hospital",
        "bed_id": bed,
        "receiver": {"organisation_id": "hosp-1"},
        "consent_id": consent.json()["id"],
    }
    rid = await loop(client, body, hospital())
    await eventually(
        lambda: intake_bed(intake, bed), until=lambda b: b.status == "suspended", within=60
    )
    home = await client.post(
        f"/v1/referrals/{rid}/actions/end_service", json={"day": "2026-04-29"}, headers=hospital()
    )
    assert home.status_code == 200
    resumed = await eventually(
        lambda: intake_bed(intake, bed), until=lambda b: b.status != "suspended", within=60
    )
    assert resumed.status == "accepted"

    # disability federation: a nursing bed is delivered, the home bed stays
    bed = await running_bed(intake, referral, f"df{suffix}")
    rid = await loop(
        client,
        {"path": "disability_federation", "bed_id": bed, "receiver": {"organisation_id": "dpf-1"}},
        admin("dpf-1"),
    )
    said = await eventually(
        lambda: outcome(intake, rid),
        until=lambda o: o is not None and o.startswith("completed"),
        within=60,
    )
    assert said is not None
    assert (await intake_bed(intake, bed)).status == "accepted"

    # hospital → home bed: the provider's acceptance opens a pre-filled application
    discharge = {
        "path": "home_bed",
        "receiver": {"organisation_id": "prov-a"},
        "discharge": {
            "jurisdiction": "341800",
            "region_code": "341802",
            "expected_discharge_on": "2026-05-06",
        },
    }
    sent = await client.post("/v1/referrals", json=discharge, headers=hospital())
    assert sent.status_code == 201, sent.text
    rid = sent.json()["id"]
    accepted = await client.post(f"/v1/referrals/{rid}/actions/accept", json={}, headers=admin())
    assert accepted.status_code == 200

    async def application() -> tuple[str, str, str] | None:
        async with intake.state.runtime.uow() as uow:
            row = await uow.session.get(DischargeApplicationRow, rid)
            return None if row is None else (row.status, row.provider_id, row.hospital_id)

    opened = await eventually(application, until=lambda a: a is not None, within=60)
    assert opened == ("open", "prov-a", "hosp-1")
