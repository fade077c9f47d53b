"""The service archive: bed changes, verified visits with observations, voids and alarms on one
paged timeline, newest first; who may read it; the internal endpoint for other services."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from fastapi import FastAPI

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from service_records.testing import (
    BED,
    OTHER_PROVIDER,
    add_worker,
    admin,
    alarm,
    bed_event,
    caregiver,
    family,
    feed,
    feed_alarm,
    officer,
)

HOME = {"lat": 30.94, "lon": 118.75, "accuracy_m": 8}


def capture(hour: int) -> dict[str, object]:
    at = datetime(2022, 6, 1, hour, 0, tzinfo=UTC).isoformat()
    return {"at": at, "location": HOME, "method": "gps"}


async def build_history(app: FastAPI, client: httpx.AsyncClient) -> str:
    await feed(app, bed_event(applicant_sub="family-sub-1"))
    await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 30.94, "longitude": 118.75}, headers=admin()
    )
    await add_worker(client, sub="cg-1")
    opened = await client.post(
        "/v1/visits",
        json={
            "bed_id": BED,
            "check_in": capture(0),
            "items": ["cleaning"],
            "caregiver_present": True,
        },
        headers=caregiver(),
    )
    visit_id: str = opened.json()["id"]
    closed = await client.post(
        f"/v1/visits/{visit_id}/check-out",
        json={
            "check_out": capture(1),
            "measurements": [{"kind": "temperature", "value": 36.6, "unit": "Cel"}],
        },
        headers=caregiver(),
    )
    assert closed.json()["status"] == "verified", closed.text
    await feed_alarm(app, alarm("alarm.raised", status="raised"))
    await feed_alarm(app, alarm())
    await feed(
        app,
        bed_event(
            "bed.suspended",
            status="suspended",
            event_date=date(2022, 6, 3),
            occurred_at=datetime(2022, 6, 3, 1, 0, tzinfo=UTC),
        ),
    )
    return visit_id


async def test_timeline_is_paged_newest_first(app: FastAPI, client: httpx.AsyncClient) -> None:
    await build_history(app, client)
    page = (await client.get(f"/v1/archive/{BED}", headers=family())).json()
    assert [(e["kind"], e["type"]) for e in page["items"]] == [
        ("bed", "bed.suspended"),
        ("alarm", "alarm.resolved"),
        ("alarm", "alarm.raised"),
        ("observation", "temperature"),
        ("visit", "visit.verified"),
        ("bed", "bed.established"),
    ]
    second = (await client.get(f"/v1/archive/{BED}?limit=2&offset=2", headers=admin())).json()
    assert second["total"] == 6
    assert [e["type"] for e in second["items"]] == ["alarm.raised", "temperature"]
    alarms = (await client.get(f"/v1/archive/{BED}?kind=alarm", headers=officer())).json()
    assert alarms["total"] == 2
    assert (await client.get(f"/v1/archive/{BED}?kind=x", headers=admin())).status_code == 422


async def test_void_is_archived_too(app: FastAPI, client: httpx.AsyncClient) -> None:
    visit_id = await build_history(app, client)
    voided = await client.post(
        f"/v1/visits/{visit_id}/void", json={"reason": "recorded twice"}, headers=admin()
    )
    assert voided.status_code == 200, voided.text
    visits = (await client.get(f"/v1/archive/{BED}?kind=visit", headers=admin())).json()
    assert [e["type"] for e in visits["items"]] == ["visit.voided", "visit.verified"]
    assert visits["items"][0]["summary"]["reason"] == "recorded twice"


async def test_who_reads_the_archive(app: FastAPI, client: httpx.AsyncClient) -> None:
    await build_history(app, client)
    expectations = {
        "admin": (admin(), 200),
        "assigned caregiver": (caregiver(), 200),
        "family who applied": (family(), 200),
        "officer of the region": (officer(), 200),
        "other provider": (admin(OTHER_PROVIDER), 404),
        "other family": (family("someone-else"), 404),
        "officer elsewhere": (officer(("330100",)), 404),
        "ops (people's endpoint)": (principal_headers(Role.OPS, "ops-1"), 403),
    }
    for who, (headers, status) in expectations.items():
        response = await client.get(f"/v1/archive/{BED}", headers=headers)
        assert response.status_code == status, who
    service = principal_headers(Role.OPS, "svc-referral")
    internal = await client.get(f"/internal/v1/archive/{BED}", headers=service)
    assert internal.status_code == 200
    assert internal.json()["total"] == 6
    assert (await client.get(f"/internal/v1/archive/{BED}", headers=admin())).status_code == 403
    assert (await client.get("/internal/v1/archive/nope", headers=service)).status_code == 404
