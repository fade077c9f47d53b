"""The archive follows the elder ("床随人走", 000 §三(五) "将老人信息和服务档案等相关数据共享"):
the receiver of an accepted referral gets a consent-scoped FHIR Bundle assembled from intake,
service-records and iot-ingest (internal routes, service principal); only the consented
categories are asked for; every disclosure is logged and readable by the family; a withdrawn
consent stops the next fetch at once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fhir.resources.R4B.bundle import Bundle

from chassis.clock import ManualClock
from chassis.principal import PRINCIPAL_HEADER, verify_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from chassis.testing.seeds import quoted_in_seed
from referral.bootstrap import create_app
from referral.testing import BED, NURSING_HOME, admin, bed_event, family, feed, referral_settings

INTAKE = {
    "bed_id": BED,
    "provider_id": "prov-a",
    "region_code": "330102",
    "status": "in_service",
    "established_on": "2026-06-01",
    "elder": {
        "elder_id": "elder-bed-1",
        "name_masked": "张**",
        "sex": "female",
        "birth_date": "1940-05-01",
        "id_number_masked": "**************0012",
        "id_number": None,
    },
    "ability_level": None,
    "care_needs_level": None,
    "assessments": None,
    "care_plan": [{"item_id": "cleaning", "times": 1, "per": "day", "minutes_per_visit": 60}],
}
IOT = {
    "bed_id": BED,
    "since": "2026-08-25T02:00:00Z",
    "latest_vitals": [],
    "daily_vitals": [
        {
            "metric": "heart_rate",
            "day": "2026-09-23",
            "count": 3,
            "minimum": 68.0,
            "maximum": 80.0,
            "mean": 73.3,
        }
    ],
    "alarms": [
        {
            "alarm_id": "al-1",
            "alarm_type": "fall",
            "severity": "critical",
            "status": "resolved",
            "raised_at": "2026-09-20T02:00:00Z",
            "resolved_at": "2026-09-20T02:30:00Z",
            "outcome": "false_alarm",
        }
    ],
}


class Sources:
    def __init__(self) -> None:
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        principal = verify_internal_token(request.headers[PRINCIPAL_HEADER], DEV_INTERNAL_TOKEN_KEY)
        assert principal.has_scope("referral_archive")
        if request.url.host == "intake":
            return httpx.Response(200, json=INTAKE)
        if request.url.host == "iot":
            return httpx.Response(200, json=IOT)
        return httpx.Response(200, json={"items": [], "total": 0, "limit": 100, "offset": 0})


@pytest.fixture
def sources() -> Sources:
    return Sources()


@pytest.fixture
async def archive_client(tmp_path: Path, sources: Sources) -> AsyncIterator[httpx.AsyncClient]:
    clock = ManualClock(datetime(2026, 9, 24, 2, 0, tzinfo=UTC))
    settings = referral_settings(
        f"sqlite+aiosqlite:///{tmp_path}/referral.db",
        intake_url="http://intake",
        service_records_url="http://records",
        iot_ingest_url="http://iot",
    )
    mock = httpx.AsyncClient(transport=httpx.MockTransport(sources))
    app: FastAPI = create_app(settings, clock=clock, archive_http=mock)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60):
        await feed(app, bed_event())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://referral") as client:
            yield client
    await mock.aclose()


async def consent(client: httpx.AsyncClient, categories: list[str]) -> str:
    body: dict[str, Any] = {
        "bed_id": BED,
        "grantor": "elder",
        "receiver_id": NURSING_HOME,
        "categories": categories,
        "valid_from": "2026-09-01T00:00:00Z",
        "valid_until": "2026-12-01T00:00:00Z",
        "method": "in_app",
    }
    answer = await client.post("/v1/consents", json=body, headers=family())
    assert answer.status_code == 201, answer.text
    cid: str = answer.json()["id"]
    return cid


async def test_the_consented_archive_follows_the_elder(
    archive_client: httpx.AsyncClient, sources: Sources
) -> None:
    assert quoted_in_seed("000", "将老人信息和服务档案等相关数据共享")
    client = archive_client
    body = {"path": "nursing_home", "bed_id": BED, "receiver": {"organisation_id": NURSING_HOME}}
    rid = (await client.post("/v1/referrals", json=body, headers=admin())).json()["id"]
    receiver = admin(NURSING_HOME)
    archive = f"/v1/referrals/{rid}/archive"
    assert (await client.get(archive, headers=receiver)).status_code == 409  # not accepted yet
    await client.post(f"/v1/referrals/{rid}/actions/accept", json={}, headers=receiver)
    refused = await client.get(archive, headers=receiver)
    assert refused.status_code == 403  # no consent yet
    assert sources.calls == []

    cid = await consent(client, ["basic_info", "care_plan", "vitals", "alarms"])
    package = await client.get(archive, headers=receiver)
    assert package.status_code == 200, package.text
    assert package.headers["content-type"].startswith("application/fhir+json")
    bundle = package.json()
    Bundle.model_validate(bundle)
    kinds = sorted(e["resource"]["resourceType"] for e in bundle["entry"])
    assert kinds == ["CarePlan", "Flag", "Observation", "Patient"]
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["identifier"][0]["value"].startswith("****")  # identity not consented
    assert {c.url.host for c in sources.calls} == {"intake", "iot"}  # no visits: not consented
    intake_call = next(c for c in sources.calls if c.url.host == "intake")
    assert intake_call.url.params["categories"] == "basic_info,care_plan"
    assert (await client.get(archive, headers=admin())).status_code == 403  # the requester

    log = await client.get(f"/v1/referral-beds/{BED}/disclosures", headers=family())
    assert log.status_code == 200
    (entry,) = log.json()["items"]
    assert (entry["consent_id"], entry["receiver_id"]) == (cid, NURSING_HOME)
    assert entry["categories"] == ["alarms", "basic_info", "care_plan", "vitals"]
    assert (
        await client.get(f"/v1/referral-beds/{BED}/disclosures", headers=family("x"))
    ).status_code == 404

    withdrawn = await client.post(f"/v1/consents/{cid}/withdraw", headers=family())
    assert withdrawn.status_code == 200
    calls = len(sources.calls)
    after = await client.get(archive, headers=receiver)
    assert after.status_code == 403
    assert len(sources.calls) == calls  # nothing fetched after the withdrawal
    narrow = await client.get(archive, params={"categories": "teleport"}, headers=receiver)
    assert narrow.status_code == 422
    assert (
        json.loads((await client.get(f"/v1/consents/{cid}", headers=family())).text)["status"]
        == "withdrawn"
    )
