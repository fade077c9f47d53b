"""Referral routes: the closed loop, who may set what (409 with allowed_actions), visibility
(404), read-only officers, consent to a hospital referral, partner discharge, idempotency keys,
the deadline sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
from referral.service.referrals import sweep_deadlines
from referral.testing import (
    BED,
    HOSPITAL,
    NURSING_HOME,
    OTHER_PROVIDER,
    admin,
    family,
    hospital,
    officer,
    outbox,
)

NURSING = {"path": "nursing_home", "bed_id": BED, "receiver": {"organisation_id": NURSING_HOME}}


async def send(
    client: httpx.AsyncClient, body: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    return await client.post("/v1/referrals", json=body or NURSING, headers={**admin(), **headers})


async def act(
    client: httpx.AsyncClient, rid: str, action: str, who: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/referrals/{rid}/actions/{action}", json=body, headers=who)


async def test_nursing_home_closed_loop(app: FastAPI, client: httpx.AsyncClient) -> None:
    sent = await send(client)
    assert sent.status_code == 201, sent.text
    referral = sent.json()
    rid = referral["id"]
    assert referral["status"] == "requested"
    assert referral["your_role"] == "requester"
    assert referral["allowed_actions"] == ["cancel"]
    assert referral["step"] == "acknowledge"
    assert referral["due_at"] == "2026-09-28T16:00:00Z"  # Mid-Autumn 09-25 and a weekend off
    receiver = admin(NURSING_HOME)
    seen = await client.get(f"/v1/referrals/{rid}", headers=receiver)
    assert seen.json()["your_role"] == "receiver"
    assert "accept" in seen.json()["allowed_actions"]
    for action in ("receive", "accept", "start"):
        answer = await act(client, rid, action, receiver)
        assert answer.status_code == 200, answer.text
    done = await act(client, rid, "complete", receiver, day="2026-09-24")
    assert done.json()["status"] == "completed"
    assert done.json()["admitted_on"] == "2026-09-24"
    types = [e["type"] for e in await outbox(app)]
    assert types == [
        "referral.requested",
        "referral.received",
        "referral.accepted",
        "referral.in_progress",
        "referral.completed",
    ]
    completed = (await outbox(app, "referral.completed"))[0]["data"]
    assert completed["bed_id"] == BED
    assert completed["receiver"]["kind"] == "nursing_home"
    history = await client.get(f"/v1/referrals/{rid}/history", headers=admin())
    assert [h["party"] for h in history.json()] == ["requester", *["receiver"] * 4]


async def test_the_wrong_party_gets_409_with_allowed_actions(client: httpx.AsyncClient) -> None:
    rid = (await send(client)).json()["id"]
    refused = await act(client, rid, "accept", admin())
    assert refused.status_code == 409
    assert refused.json()["allowed_actions"] == ["cancel"]
    unknown = await act(client, rid, "teleport", admin(NURSING_HOME))
    assert unknown.status_code == 409
    assert "accept" in unknown.json()["allowed_actions"]
    no_reason = await act(client, rid, "reject", admin(NURSING_HOME))
    assert no_reason.status_code == 422
    rejected = await act(client, rid, "reject", admin(NURSING_HOME), reason_code="no_capacity")
    assert rejected.json()["status"] == "rejected"
    final = await act(client, rid, "cancel", admin(), reason_code="duplicate")
    assert final.status_code == 409
    assert final.json()["allowed_actions"] == []


async def test_unknown_path_or_receiver_kind_is_409(client: httpx.AsyncClient) -> None:
    unknown = await send(client, {**NURSING, "path": "spa"})
    assert unknown.status_code == 409
    assert unknown.json()["allowed_actions"] == [
        "family_sickbed",
        "nursing_home",
        "disability_federation",
        "hospital",
    ]
    kind = await send(client, {**NURSING, "receiver": {"organisation_id": "x", "kind": "hospital"}})
    assert kind.status_code == 409
    assert kind.json()["allowed_actions"] == ["nursing_home"]
    partner = await client.post("/v1/referrals", json=NURSING, headers=hospital())
    assert partner.status_code == 409
    assert partner.json()["allowed_actions"] == ["home_bed"]


async def test_another_providers_elder_is_404(client: httpx.AsyncClient) -> None:
    other = await client.post("/v1/referrals", json=NURSING, headers=admin(OTHER_PROVIDER))
    assert other.status_code == 404
    rid = (await send(client)).json()["id"]
    assert (
        await client.get(f"/v1/referrals/{rid}", headers=admin(OTHER_PROVIDER))
    ).status_code == 404
    assert (await client.get(f"/v1/referrals/{rid}", headers=hospital())).status_code == 404
    assert (await client.get(f"/v1/referrals/{rid}", headers=officer("310100"))).status_code == 404


async def test_officers_read_their_region_only_and_the_family_their_own(
    client: httpx.AsyncClient,
) -> None:
    rid = (await send(client)).json()["id"]
    seen = await client.get(f"/v1/referrals/{rid}", headers=officer())
    assert seen.status_code == 200
    assert seen.json()["allowed_actions"] == []
    refused = await act(client, rid, "cancel", officer(), reason_code="duplicate")
    assert refused.status_code == 403
    assert (await client.get(f"/v1/referrals/{rid}", headers=family())).status_code == 200
    assert (await client.get(f"/v1/referrals/{rid}", headers=family("stranger"))).status_code == 404
    listed = await client.get("/v1/referrals", headers=officer())
    assert listed.json()["total"] == 1
    assert (await client.get("/v1/referrals", headers=officer("310100"))).json()["total"] == 0
    assert (await client.get("/v1/referrals?status=bogus", headers=officer())).status_code == 422


async def test_hospital_referral_needs_the_familys_consent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = {"path": "hospital", "bed_id": BED, "receiver": {"organisation_id": HOSPITAL}}
    refused = await send(client, body)
    assert refused.status_code == 409
    consent = await client.post(
        "/v1/consents",
        json={
            "bed_id": BED,
            "grantor": "family",
            "grantor_name_masked": "李**",
            "grantor_relationship": "daughter",
            "receiver_id": HOSPITAL,
            "categories": ["basic_info", "care_plan", "vitals"],
            "valid_from": "2026-09-24T00:00:00Z",
            "valid_until": "2026-10-24T00:00:00Z",
            "method": "signed_form",
            "form_reference": "form-778",
        },
        headers=admin(),
    )
    assert consent.status_code == 201, consent.text
    cid = consent.json()["id"]
    sent = await send(client, {**body, "consent_id": cid})
    assert sent.status_code == 201, sent.text
    assert sent.json()["consent_id"] == cid
    # the partner hospital sees it and only it
    listed = await client.get("/v1/referrals?role=inbound", headers=hospital())
    assert [r["id"] for r in listed.json()["items"]] == [sent.json()["id"]]
    withdrawn = await client.post(f"/v1/consents/{cid}/withdraw", headers=family())
    assert withdrawn.json()["status"] == "withdrawn"
    again = await send(client, {**body, "consent_id": cid})
    assert again.status_code == 409


async def test_a_partner_hospital_sends_an_elder_home(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    body = {
        "path": "home_bed",
        "receiver": {"organisation_id": "prov-a", "name": "西湖家床"},
        "discharge": {
            "jurisdiction": "330100",
            "region_code": "330106",
            "expected_discharge_on": "2026-09-30",
            "follow_up_visit_on": "2026-09-23",
            "summary": "post-stroke rehab, needs daily care",
        },
    }
    sent = await client.post("/v1/referrals", json=body, headers=hospital(regions=("330100",)))
    assert sent.status_code == 201, sent.text
    referral = sent.json()
    assert referral["requester"] == {"organisation_id": HOSPITAL, "kind": "hospital", "name": None}
    assert referral["receiver"]["kind"] == "home_bed_provider"
    rid = referral["id"]
    for action in ("accept", "start"):
        assert (await act(client, rid, action, admin())).status_code == 200
    done = await act(client, rid, "complete", admin(), day="2026-09-24")
    assert done.status_code == 200
    event = (await outbox(app, "referral.completed"))[0]["data"]
    assert event["path"] == "home_bed"
    assert event["bed_id"] is None
    assert event["provider_id"] == "prov-a"
    outside = await client.post("/v1/referrals", json=body, headers=hospital(regions=("310000",)))
    assert outside.status_code == 422


async def test_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    first = await send(client, None, **{"Idempotency-Key": "k-1"})
    again = await send(client, None, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await send(client, {**NURSING, "note": "changed"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    listed = await client.get("/v1/referrals", headers=admin())
    assert listed.json()["total"] == 1


async def test_a_missed_step_is_escalated_once(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    rid = (await send(client)).json()["id"]
    runtime = app.state.runtime
    assert await sweep_deadlines(uow_factory=runtime.uow, clock=clock) == 0
    clock.advance(timedelta(days=5))
    assert await sweep_deadlines(uow_factory=runtime.uow, clock=clock) == 1
    assert await sweep_deadlines(uow_factory=runtime.uow, clock=clock) == 0
    missed = await outbox(app, "referral.deadline_missed")
    assert missed[0]["data"]["step"] == "acknowledge"
    assert missed[0]["data"]["escalate_to"] == ["requester", "officer"]
    seen = (await client.get(f"/v1/referrals/{rid}", headers=admin())).json()
    assert seen["escalated_at"] is not None
