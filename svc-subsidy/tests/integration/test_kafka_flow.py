"""Over real Kafka and PostgreSQL: a Pingyang bed's intake events (established, acceptance with
the investment list, home-modification consent, accepted) and records' verified visits →
facts → the month's settlement run → submitted → approved (posted) → payment file → paid, with
settlement.calculated / submitted / approved / paid on subsidy.settlements.v1 (004 §二(四)3, §三(二))."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from asgi_lifespan import LifespanManager

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.kafka.topics import ensure_topics, topic_names_with_partitions
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS, RECORDS_VISITS, SUBSIDY_SETTLEMENTS
from subsidy.bootstrap import create_app
from subsidy.testing import (
    acceptance_event,
    admin,
    bed_event,
    officer,
    subsidy_settings,
    visit_event,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
PINGYANG = "330326"


def consent_event(bed_id: str, provider_id: str) -> Envelope:
    data = {
        "consent_id": f"cs-{bed_id}",
        "bed_id": bed_id,
        "elder_id": f"elder-{bed_id}",
        "provider_id": provider_id,
        "jurisdiction": PINGYANG,
        "region_code": PINGYANG,
        "scope": "home_modification",
        "decision": "granted",
        "given_by": "applicant",
        "relation": "女儿",
        "method": "written",
        "given_at": "2022-04-10T02:00:00+00:00",
        "in_force": True,
        "occurred_at": "2022-04-10T02:00:00+00:00",
    }
    return Envelope(type="bed.consent_recorded", source="svc-intake", subject=bed_id, data=data)


async def _read(bootstrap: str, topic: str, subject: str) -> list[dict[str, object]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        batches = await consumer.getmany(timeout_ms=3000)
        found = [orjson.loads(r.value) for rs in batches.values() for r in rs]
        return [e for e in found if e.get("subject") == subject]
    finally:
        await consumer.stop()


async def test_intake_and_records_events_to_a_paid_settlement(
    kafka_bootstrap: str, postgres_url: str, unique_name: str
) -> None:
    topics = [INTAKE_BEDS, RECORDS_VISITS, SUBSIDY_SETTLEMENTS]
    await ensure_topics(kafka_bootstrap, topic_names_with_partitions(topics))
    clock = ManualClock(datetime(2022, 8, 1, 4, tzinfo=UTC))
    settings = subsidy_settings(
        postgres_url,
        kafka_enabled=True,
        kafka_bootstrap=kafka_bootstrap,
        consumer_group=f"subsidy-{unique_name}",
        outbox_poll_seconds=0.05,
        consumer_max_attempts=1,
        rule_configuration={PINGYANG: {"voucher_settlement": {"monthly_voucher_fen": 30000}}},
    )
    provider = f"prov-{unique_name}"
    bed_id = f"bed-{unique_name}"
    facts = [
        (INTAKE_BEDS, bed_event(bed_id=bed_id, provider_id=provider, jurisdiction=PINGYANG)),
        (INTAKE_BEDS, consent_event(bed_id, provider)),
        (
            INTAKE_BEDS,
            acceptance_event(
                bed_id=bed_id,
                provider_id=provider,
                jurisdiction=PINGYANG,
                accepted_on=date(2022, 7, 8),
                modification_fen=250000,
            ),
        ),
        (
            INTAKE_BEDS,
            bed_event(
                "bed.accepted",
                bed_id=bed_id,
                provider_id=provider,
                jurisdiction=PINGYANG,
                status="accepted",
                accepted_on=date(2022, 7, 8),
                occurred_at=datetime(2022, 7, 8, 2, tzinfo=UTC),
            ),
        ),
        *[
            (
                RECORDS_VISITS,
                visit_event(
                    visit_id=f"v{i}-{unique_name}",
                    bed_id=bed_id,
                    provider_id=provider,
                    service_date=date(2022, 7, 10 + i),
                    value_fen=12000,
                ),
            )
            for i in range(2)
        ],
    ]
    app = create_app(settings, clock=clock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
        await producer.start()
        try:
            for topic, envelope in facts:
                await producer.send_and_wait(
                    topic.name, encode_envelope(envelope), key=bed_id.encode()
                )
        finally:
            await producer.stop()
        transport = httpx.ASGITransport(app=app)
        body = {"provider_id": provider, "jurisdiction": PINGYANG, "period": "2022-07"}
        maker = admin(provider)
        checker = officer("officer-py", regions=(PINGYANG,))
        async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as client:

            async def dry_total() -> int:
                answer = await client.post("/v1/settlements/dry-run", json=body, headers=maker)
                return int(answer.json()["new_total_fen"])

            # modification min(2500, 3000) = 2500 yuan + vouchers min(300, 240) = 240 yuan
            await eventually(dry_total, until=lambda t: t == 274000, within=60)
            run = await client.post("/v1/settlements", json=body, headers=maker)
            stl = run.json()["id"]
            lines = (await client.get(f"/v1/settlements/{stl}/lines", headers=maker)).json()
            assert [(x["kind"], x["amount_fen"]) for x in lines["items"]] == [
                ("modification", 250000),
                ("voucher_settlement", 24000),
            ]
            submitted = await client.post(f"/v1/settlements/{stl}/submission", headers=maker)
            assert submitted.json()["status"] == "submitted"
            approved = await client.post(f"/v1/settlements/{stl}/approval", headers=checker)
            assert approved.json()["status"] == "approved", approved.text
            csv = await client.get(f"/v1/settlements/{stl}/payment-file", headers=checker)
            assert f"{provider},provider_payable:{provider},2740.00" in csv.text
            paid = await client.post(
                f"/v1/settlements/{stl}/payment-confirmation",
                json={"payment_reference": "BANK-PY-1", "amount_fen": 274000},
                headers=checker,
            )
            assert paid.json()["status"] == "paid"
            balance = (await client.get("/v1/ledger/trial-balance", headers=checker)).json()
            assert balance["balanced"] is True
            accounts = {a["account_id"]: a["posted_fen"] for a in balance["accounts"]}
            assert accounts[f"provider_payable:{provider}"] == 0
            assert accounts[f"elder_voucher:elder-{bed_id}"] == 0

        async def published() -> list[str]:
            events = await _read(kafka_bootstrap, SUBSIDY_SETTLEMENTS.name, stl)
            return sorted(str(e["type"]) for e in events)

        types = await eventually(published, until=lambda t: len(t) >= 4, within=60)
        assert types == [
            "settlement.approved",
            "settlement.calculated",
            "settlement.paid",
            "settlement.submitted",
        ]
