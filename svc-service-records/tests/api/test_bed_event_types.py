"""intake.beds.v1 carries, besides the lifecycle, the running-bed changes of issue 11 (BedEvent
payloads: renewals, expiry notices, re-assessments, provider changes, family-sickbed links) and
the consent and acceptance workflows (payloads of their own, `homebed_schemas.events.
bed_workflows`). The roster takes every BedEvent type; the others are ignored, never poison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from homebed_schemas.envelope import Envelope
from homebed_schemas.events.bed_workflows import BED_WORKFLOW_EVENTS
from homebed_schemas.events.intake import BED_EVENTS
from service_records.testing import BED, admin, bed_event, feed

T0 = datetime(2022, 6, 1, 0, 0, tzinfo=UTC)

CONSENT = {
    "consent_id": "c-1",
    "bed_id": BED,
    "elder_id": f"elder-{BED}",
    "provider_id": "prov-a",
    "jurisdiction": "341800",
    "region_code": "341802",
    "scope": "video_monitoring",
    "decision": "granted",
    "given_by": "elder",
    "method": "electronic",
    "given_at": T0.isoformat(),
    "in_force": True,
    "occurred_at": T0.isoformat(),
}
ACCEPTANCE = {
    "acceptance_id": "acc-1",
    "bed_id": BED,
    "elder_id": f"elder-{BED}",
    "provider_id": "prov-a",
    "jurisdiction": "341800",
    "region_code": "341802",
    "attempt": 1,
    "status": "applied",
    "contract_id": "k-1",
    "investment": [{"category": "smart_device", "description": "fall alarm", "amount_fen": 80000}],
    "investment_total_fen": 80000,
    "service_period_start": "2022-06-01",
    "service_period_end": "2022-06-30",
    "service_data": [{"item": "cleaning", "times": 4, "total_minutes": 240}],
    "applied_on": "2022-07-02",
    "occurred_at": T0.isoformat(),
}


async def test_workflow_payloads_are_ignored_not_poison(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event())
    for event_type in BED_WORKFLOW_EVENTS:
        payload = CONSENT if event_type.startswith("bed.consent_") else ACCEPTANCE
        later = {**payload, "occurred_at": (T0 + timedelta(days=1)).isoformat()}
        await feed(app, Envelope(type=event_type, source="svc-intake", subject=BED, data=later))
    body = (await client.get(f"/v1/roster/{BED}", headers=admin())).json()
    assert body["status"] == "established"
    archive = (await client.get(f"/v1/archive/{BED}", headers=admin())).json()
    assert [e["type"] for e in archive["items"]] == ["bed.established"]


async def test_every_bed_event_type_of_issue_11_is_taken(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event())
    running = [
        "bed.linked",
        "bed.contract_renewed",
        "bed.contract_expiring",
        "bed.reassessed",
        "bed.family_sickbed_linked",
        "bed.family_sickbed_unlinked",
    ]
    assert set(running) <= set(BED_EVENTS)
    for hours, event_type in enumerate(running, start=1):
        await feed(app, bed_event(event_type, occurred_at=T0 + timedelta(hours=hours)))
    body = (await client.get(f"/v1/roster/{BED}", headers=admin())).json()
    assert (body["status"], body["in_service"]) == ("established", True)
    archive = (await client.get(f"/v1/archive/{BED}", headers=admin())).json()
    assert {e["type"] for e in archive["items"]} == {"bed.established", *running}
