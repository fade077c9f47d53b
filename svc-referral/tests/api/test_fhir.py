"""The FHIR R4 view: Task, ServiceRequest, Consent, the CapabilityStatement and Task polling
(`owner` + `_lastUpdated`), served as application/fhir+json and validated with the maintained
`fhir.resources` models (R4B package: the R4-compatible release fhir.resources 8 ships)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from chassis.clock import ManualClock
from referral.testing import BED, HOSPITAL, admin, hospital

CONSENT = {
    "bed_id": BED,
    "grantor": "family",
    "grantor_name_masked": "李**",
    "grantor_relationship": "daughter",
    "receiver_id": HOSPITAL,
    "categories": ["basic_info", "vitals"],
    "valid_from": "2026-09-24T00:00:00Z",
    "valid_until": "2026-10-24T00:00:00Z",
    "method": "signed_form",
    "form_reference": "form-778",
}


async def hospital_referral(client: httpx.AsyncClient) -> tuple[str, str]:
    cid = (await client.post("/v1/consents", json=CONSENT, headers=admin())).json()["id"]
    body = {
        "path": "hospital",
        "bed_id": BED,
        "receiver": {"organisation_id": HOSPITAL, "name": "市一医院"},
        "consent_id": cid,
    }
    sent = await client.post("/v1/referrals", json=body, headers=admin())
    assert sent.status_code == 201, sent.text
    return sent.json()["id"], cid


async def fhir(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    answer = await client.get(f"/v1/fhir/{path}", params=params, headers=hospital())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = answer.json()
    return body


async def test_task_service_request_and_consent_validate(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    rid, cid = await hospital_referral(client)
    task = await fhir(client, f"Task/{rid}")
    Task.model_validate(task)
    assert task["status"] == "requested"
    assert task["owner"]["reference"] == f"Organization/{HOSPITAL}"
    assert task["focus"]["reference"] == f"ServiceRequest/{rid}"
    assert task["restriction"]["period"]["end"].endswith("Z")
    request = await fhir(client, f"ServiceRequest/{rid}")
    ServiceRequest.model_validate(request)
    assert request["supportingInfo"] == [{"reference": f"Consent/{cid}"}]
    consent = await fhir(client, f"Consent/{cid}")
    Consent.model_validate(consent)
    assert consent["provision"]["actor"][0]["reference"]["reference"] == f"Organization/{HOSPITAL}"
    CapabilityStatement.model_validate(await fhir(client, "metadata"))

    clock.advance(timedelta(hours=1))
    held = await client.post(
        f"/v1/referrals/{rid}/actions/hold",
        json={"reason_code": "awaiting_documents", "reason": "discharge summary missing"},
        headers=hospital(),
    )
    assert held.status_code == 200, held.text
    task = await fhir(client, f"Task/{rid}")
    Task.model_validate(task)
    assert task["status"] == "on-hold"
    assert task["statusReason"]["coding"][0]["code"] == "awaiting_documents"


async def test_task_polling_by_owner_and_last_updated(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    first, _ = await hospital_referral(client)
    clock.advance(timedelta(hours=2))
    second, _ = await hospital_referral(client)
    everything = await fhir(client, "Task", owner=f"Organization/{HOSPITAL}")
    Bundle.model_validate(everything)
    assert everything["total"] == 2
    newer = await fhir(
        client, "Task", owner=f"Organization/{HOSPITAL}", _lastUpdated="gt2026-09-24T03:00:00Z"
    )
    Bundle.model_validate(newer)
    assert [e["resource"]["id"] for e in newer["entry"]] == [second]
    assert first != second
    bad = await client.get(
        "/v1/fhir/Task", params={"_lastUpdated": "yesterday"}, headers=hospital()
    )
    assert bad.status_code == 422
    stranger = await client.get(f"/v1/fhir/Task/{first}", headers=hospital("hosp-9"))
    assert stranger.status_code == 404
