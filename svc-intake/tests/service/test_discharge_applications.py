"""hospital → home bed (004 §二(四)1 "经合作医院复诊达到返家护理条件的康复对象"): the partner
hospital's discharge referral, once the receiving provider accepts it, opens a pre-filled
application in intake; the provider lists it, officers of the region too; a cancellation closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
from chassis.db import encode_envelope
from chassis.principal import Role
from chassis.testing.bus import InMemoryBus
from chassis.testing.principals import principal_headers
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import REFERRAL_REFERRALS
from intake.consumers import topic_handlers

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TOPIC = REFERRAL_REFERRALS.name
ROUTE = "/v1/discharge-applications"


def discharge(kind: str, minutes: int, **changes: Any) -> bytes:
    data: dict[str, Any] = {
        "referral_id": "ref-home-1",
        "path": "home_bed",
        "status": kind,
        "bed_id": None,
        "elder_id": None,
        "provider_id": "prov-a",
        "requester": {"organisation_id": "hosp-1", "name": "宣城市人民医院", "kind": "hospital"},
        "receiver": {"organisation_id": "prov-a", "kind": "home_bed_provider"},
        "discharge": {
            "jurisdiction": "341800",
            "region_code": "341802",
            "expected_discharge_on": "2026-03-10",
            "follow_up_visit_on": "2026-03-01",
            "summary": "post-stroke rehab, needs daily care",
        },
        "occurred_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        **changes,
    }
    envelope = Envelope(type=f"referral.{kind}", source="svc-referral", subject="r", data=data)
    return encode_envelope(envelope)


async def deliver(bus: InMemoryBus, app: FastAPI) -> dict[str, int]:
    return await bus.deliver(
        handlers=topic_handlers(app.state.runtime.clock),
        uow_factory=app.state.runtime.uow,
        group_id="svc-intake-referrals",
    )


async def test_accepted_discharge_opens_a_prefilled_application(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    assert quoted_in_seed("004", "经合作医院复诊达到返家护理条件的康复对象")
    bus = InMemoryBus()
    await bus.send(TOPIC, discharge("requested", 0), b"ref-home-1")
    assert await deliver(bus, app) == {"applied": 1}
    admin = principal_headers(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    assert (await client.get(ROUTE, headers=admin)).json()["total"] == 0

    await bus.send(TOPIC, discharge("accepted", 5), b"ref-home-1")
    assert await deliver(bus, app) == {"applied": 1}
    listed = (await client.get(ROUTE, headers=admin)).json()
    assert listed["total"] == 1
    opened = listed["items"][0]
    assert opened["status"] == "open"
    assert opened["hospital_id"] == "hosp-1"
    assert (opened["region_code"], opened["jurisdiction"]) == ("341802", "341800")
    assert opened["expected_discharge_on"] == "2026-03-10"
    other = principal_headers(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b")
    assert (await client.get(ROUTE, headers=other)).json()["total"] == 0
    officer = principal_headers(Role.OFFICER, "off-1", regions=("341800",))
    assert (await client.get(ROUTE, headers=officer)).json()["total"] == 1
    elsewhere = principal_headers(Role.OFFICER, "off-2", regions=("330100",))
    assert (await client.get(ROUTE, headers=elsewhere)).json()["total"] == 0
    family = principal_headers(Role.FAMILY, "family-1")
    assert (await client.get(ROUTE, headers=family)).status_code == 403

    cancelled = discharge("cancelled", 9, reason_code="condition_changed")
    await bus.send(TOPIC, cancelled, b"ref-home-1")
    assert await deliver(bus, app) == {"applied": 1}
    closed = (await client.get(ROUTE, params={"status": "closed"}, headers=admin)).json()
    assert closed["items"][0]["referral_status"] == "cancelled"
    assert (await client.get(ROUTE, params={"bogus": "1"}, headers=admin)).status_code == 422


async def test_an_application_completes_the_discharge_and_links_back(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    bus = InMemoryBus()
    await bus.send(TOPIC, discharge("accepted", 0), b"ref-home-1")
    await bus.send(TOPIC, discharge("accepted", 0, referral_id="ref-home-2"), b"ref-home-2")
    assert await deliver(bus, app) == {"applied": 2}
    admin = principal_headers(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    other = principal_headers(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b")
    body = new_application(make_id("341802", "19450307"), discharge_referral_id="ref-home-1")

    theirs = {**body, "provider_id": "prov-b"}
    refused = await client.post("/v1/applications", json=theirs, headers=other)
    assert refused.status_code == 422  # another provider's referral is not theirs to complete
    assert refused.json()["errors"][0]["field"] == "body.discharge_referral_id"
    elsewhere = {**body, "jurisdiction": "310105", "provider_id": None}
    wrong = await client.post("/v1/applications", json=elsewhere, headers=admin)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.jurisdiction"

    created = await client.post("/v1/applications", json=body, headers=admin)
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["discharge_referral_id"] == "ref-home-1"
    assert "discharge_referral_id" not in application["form"]
    linked = (await client.get(ROUTE, params={"status": "linked"}, headers=admin)).json()
    assert [(i["referral_id"], i["application_id"]) for i in linked["items"]] == [
        ("ref-home-1", application["id"])
    ]
    assert (await client.get(ROUTE, params={"status": "open"}, headers=admin)).json()["total"] == 1

    again = new_application(make_id("341802", "19460408"), discharge_referral_id="ref-home-1")
    twice = await client.post("/v1/applications", json=again, headers=admin)
    assert twice.status_code == 409
    assert "already completed" in twice.json()["detail"]

    # the hospital cancelling after the link leaves the application and the link alone
    await bus.send(TOPIC, discharge("cancelled", 9, reason_code="condition_changed"), b"ref-home-1")
    assert await deliver(bus, app) == {"applied": 1}
    after = (await client.get(ROUTE, params={"status": "linked"}, headers=admin)).json()
    assert after["items"][0]["referral_status"] == "cancelled"
    # a closed referral cannot be completed
    await bus.send(
        TOPIC,
        discharge("rejected", 9, referral_id="ref-home-2", reason_code="no_capacity"),
        b"ref-home-2",
    )
    assert await deliver(bus, app) == {"applied": 1}
    late = new_application(make_id("341802", "19470509"), discharge_referral_id="ref-home-2")
    closed = await client.post("/v1/applications", json=late, headers=admin)
    assert closed.status_code == 409
    assert "closed" in closed.json()["detail"]
