"""With the real broker: every change of an application and a bed is published exactly once,
keyed by the aggregate id, with the event id and type in the headers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.principal import Role
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_APPLICATIONS, INTAKE_BEDS
from intake.bootstrap import create_app
from intake.consumers import handle_device_event
from intake.testing import XUANCHENG_PLAN, grant_consents

pytestmark = pytest.mark.kafka
Auth = Callable[..., dict[str, str]]


@pytest.fixture
async def kafka_app(
    kafka_bootstrap: str,
    sqlite_url: str,
    unique_name: str,
    clock: Any,
    settings_for: Any,
    provider_registry: Any,
) -> AsyncIterator[FastAPI]:
    await ensure_topics(
        kafka_bootstrap, topic_names_with_partitions([INTAKE_APPLICATIONS, INTAKE_BEDS])
    )
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
        await provider_registry(application, "prov-a")
        yield application


async def read_topics(
    bootstrap: str, subjects: set[str]
) -> list[tuple[str, bytes, Envelope, dict[str, bytes]]]:
    """Everything on the two intake topics up to their current end, about these subjects."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = []
        for spec in (INTAKE_APPLICATIONS, INTAKE_BEDS):
            partitions = consumer.partitions_for_topic(spec.name) or await _partitions(
                consumer, spec.name
            )
            tps += [TopicPartition(spec.name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        found = []
        while [tp for tp in tps if await consumer.position(tp) < end[tp]]:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    envelope = Envelope.model_validate(orjson.loads(record.value))
                    if envelope.subject in subjects:
                        headers = dict(record.headers)
                        found.append((record.topic, record.key, envelope, headers))
        return found
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


def _personal_data(body: dict[str, Any]) -> dict[str, str]:
    """What must never leave intake in an event: ID number (and its region + birth prefix),
    social-security number, the phones of the elder, the caregiver and the emergency contact,
    the elder's plain name and home address (bed events carry them masked only)."""
    found = {
        "id_number": body["id_number"],
        "id_number_prefix": body["id_number"][:14],
        "social_security_no": body["social_security_no"],
        "name": body["name"],
        "current_address.detail": body["current_address"]["detail"],
    }
    for holder in ("caregiver", "emergency_contact"):
        if body.get(holder) and body[holder].get("phone"):
            found[f"{holder}.phone"] = body[holder]["phone"]
    if body.get("phone"):
        found["phone"] = body["phone"]
    return found


async def _scan_for_personal_data(
    app: FastAPI, bootstrap: str, subjects: set[str], body: dict[str, Any], after: str
) -> int:
    """Every event published so far about `subjects`, whole (envelope and headers), is clean."""
    await eventually(app.state.runtime.relay.backlog, until=lambda n: n == 0, what="drained")
    messages = await read_topics(bootstrap, subjects)
    secrets = _personal_data(body)
    for topic, key, envelope, headers in messages:
        text = orjson.dumps(envelope.model_dump(mode="json")).decode() + repr(headers) + repr(key)
        for what, value in secrets.items():
            assert value not in text, f"{what} in {envelope.type} on {topic} after {after}"
    return len(messages)


async def test_each_change_is_published_once(
    kafka_app: FastAPI,
    kafka_bootstrap: str,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    family = auth(Role.FAMILY, "family-k")
    officer = auth(Role.OFFICER, "officer-k", regions=("341800",))
    provider = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    transport = httpx.ASGITransport(app=kafka_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        body = new_application(make_id("341802", "19430707"))
        # ID, its prefix, social security, name, address, two phones
        assert len(_personal_data(body)) == 7
        app_id = (await client.post("/v1/applications", json=body, headers=family)).json()["id"]

        async def scan(after: str) -> int:
            return await _scan_for_personal_data(
                kafka_app, kafka_bootstrap, {app_id} | subjects, body, after
            )

        subjects: set[str] = set()
        await scan("create")
        await client.post(f"/v1/applications/{app_id}/submit", headers=family)
        assert await scan("submit") == 1
        assessment = {
            "scale": "ability_4",
            "ability_level": "severe",
            "assessor": "a",
            "assessed_on": "2026-03-01",
        }
        await client.post(f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer)
        reviewed = await client.post(
            f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
        )
        bed_id = reviewed.json()["bed_id"]
        subjects.add(bed_id)
        assert await scan("review") == 3
        planned = await client.put(
            f"/v1/beds/{bed_id}/care-plan", json=XUANCHENG_PLAN, headers=provider
        )
        assert planned.status_code == 200, planned.text
        await grant_consents(client, bed_id, provider, ("service_agreement",))
        contract = {"start": "2026-03-02", "end": "2026-09-01", "base_package_fee_fen": 90000}
        assert (
            await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=provider)
        ).status_code == 201
        assert await scan("contract") == 5  # bed.consent_recorded, then bed.contracted
        items = {
            "items": [
                {"item_id": "emergency_button", "count": 1},
                {"item_id": "smart_mattress", "count": 1},
            ]
        }
        await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=provider)
        for device_type in ("emergency_button", "smart_mattress"):
            data = {
                "device_id": f"{bed_id}-{device_type}",
                "bed_id": bed_id,
                "provider_id": "prov-a",
                "device_type": device_type,
                "serial": "SN",
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            async with kafka_app.state.runtime.uow() as uow:
                await handle_device_event(
                    uow,
                    Envelope(
                        type="device.registered", source="svc-iot-ingest", subject=bed_id, data=data
                    ),
                )
                await uow.commit()
        assert (
            await client.post(f"/v1/beds/{bed_id}/establish", headers=provider)
        ).status_code == 200
        await client.post(f"/v1/beds/{bed_id}/suspend", json={"reason": "住院"}, headers=provider)
        await client.post(f"/v1/beds/{bed_id}/resume", headers=provider)
        ended = await client.post(
            f"/v1/beds/{bed_id}/transfer",
            json={
                "path": "nursing_home",
                "event_date": "2026-03-02",
                "receiving_organisation": "宣城市社会福利院",
            },
            headers=provider,
        )
        assert ended.status_code == 200, ended.text
        assert await scan("lifecycle") == 9

    relay = kafka_app.state.runtime.relay
    await eventually(relay.backlog, until=lambda n: n == 0, what="outbox drained")
    messages = await read_topics(kafka_bootstrap, {app_id, bed_id})
    counts = Counter((topic, env.type) for topic, _key, env, _h in messages)
    assert counts == Counter(
        {
            ("intake.applications.v1", "application.submitted"): 1,
            ("intake.applications.v1", "application.assessed"): 1,
            ("intake.applications.v1", "application.approved"): 1,
            ("intake.beds.v1", "bed.consent_recorded"): 1,
            ("intake.beds.v1", "bed.contracted"): 1,
            ("intake.beds.v1", "bed.established"): 1,
            ("intake.beds.v1", "bed.suspended"): 1,
            ("intake.beds.v1", "bed.resumed"): 1,
            ("intake.beds.v1", "bed.transferred"): 1,
        }
    )
    for _topic, key, envelope, headers in messages:
        assert key == envelope.subject.encode()
        assert headers["event_type"] == envelope.type.encode()
        assert headers["event_id"] == str(envelope.id).encode()
        assert body["id_number"] not in orjson.dumps(envelope.data).decode()
    transferred = next(env for _t, _k, env, _h in messages if env.type == "bed.transferred")
    assert transferred.data["transfer_target"] == "nursing_home"
    assert transferred.data["contract_dissolved_on"] == "2026-03-02"  # the admission day
    assert transferred.data["package_fee_fen"] == 90000
    assert transferred.data["economic_status"] == "dibao"
    assert transferred.data["elder_name_masked"] == "张**"
    assert transferred.data["address_masked"] == "鳌峰街道 梅园路 * 号 *** 室"
