"""Visits as verified records: check-in/out, validation, exceptions, versions, access."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from service_records.tables import CHASSIS_TABLES, DailyRollupRow
from service_records.testing import (
    BED,
    OTHER_PROVIDER,
    add_worker,
    admin,
    bed_event,
    caregiver,
    elder,
    feed,
    officer,
)

HOME = {"lat": 30.9400, "lon": 118.7500, "accuracy_m": 8}


def capture(hour: int, minute: int = 0, **location: Any) -> dict[str, Any]:
    at = datetime(2022, 6, 1, hour, minute, tzinfo=UTC).isoformat()
    return {"at": at, "location": location or HOME, "method": "gps"}


async def ready(app: FastAPI, client: httpx.AsyncClient) -> str:
    await feed(app, bed_event())
    await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 30.94, "longitude": 118.75}, headers=admin()
    )
    return await add_worker(client, sub="cg-1")


async def visit(client: httpx.AsyncClient, **changes: Any) -> httpx.Response:
    body = {"bed_id": BED, "check_in": capture(0, 0), "items": ["cleaning"], **changes}
    return await client.post("/v1/visits", json=body, headers=caregiver())


async def outbox_types(app: FastAPI) -> list[str]:
    uow = app.state.runtime.uow()
    async with uow:
        rows = (await uow.session.execute(select(CHASSIS_TABLES.outbox.c.payload))).scalars()
        return [orjson.loads(p)["type"] for p in rows]


async def rollup_counts(app: FastAPI) -> tuple[int, int]:
    uow = app.state.runtime.uow()
    async with uow:
        rollup = (await uow.session.execute(select(DailyRollupRow))).scalar_one()
        return rollup.on_site_visits, rollup.service_seconds


async def test_check_in_and_out_verifies_and_counts(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    opened = await visit(client, caregiver_present=True)
    assert opened.status_code == 201, opened.text
    assert opened.json()["status"] == "open"
    closed = await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={
            "check_out": capture(1, 10),
            "measurements": [
                {"kind": "blood_pressure", "value": 132, "value2": 84, "unit": "mmHg"}
            ],
        },
        headers=caregiver(),
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["exceptions"], body["corroboration"]) == (
        "verified",
        [],
        "unavailable",
    )
    assert body["observations"][0]["value2"] == 84
    assert await outbox_types(app) == ["visit.verified"]
    assert await rollup_counts(app) == (1, 4200)


async def test_idempotency_key_makes_one_visit(app: FastAPI, client: httpx.AsyncClient) -> None:
    await ready(app, client)
    body = {"bed_id": BED, "check_in": capture(0)}
    headers = {**caregiver(), "Idempotency-Key": "k-1"}
    first = await client.post("/v1/visits", json=body, headers=headers)
    second = await client.post("/v1/visits", json=body, headers=headers)
    assert first.json()["id"] == second.json()["id"]
    assert (await client.get("/v1/visits", headers=admin())).json()["total"] == 1


async def test_bad_input_names_the_field(app: FastAPI, client: httpx.AsyncClient) -> None:
    await ready(app, client)

    def field_of(response: httpx.Response) -> str:
        assert response.status_code == 422, response.text
        return str(response.json()["errors"][0]["field"])

    future = {"at": "2022-06-01T04:06:00Z", "method": "gps"}
    assert field_of(await visit(client, check_in=future)) == "body.check_in.at"
    assert "lat" in field_of(await visit(client, check_in=capture(0, lat=91, lon=0)))
    assert field_of(await visit(client, items=["cleaning", "massage"])) == "body.items.1"
    opened = await visit(client)
    early = await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={"check_out": {"at": "2022-05-31T23:00:00Z", "method": "manual"}},
        headers=caregiver(),
    )
    assert field_of(early) == "body.check_out.at"


async def test_suspended_or_ended_bed_refuses_visits(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    await feed(
        app,
        bed_event(
            "bed.suspended", status="suspended", occurred_at=datetime(2022, 6, 1, 0, 30, tzinfo=UTC)
        ),
    )
    refused = await visit(client)
    assert refused.status_code == 409
    assert "suspended" in refused.json()["detail"]


async def test_far_check_in_is_an_exception_until_resolved(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    opened = await visit(client, check_in=capture(0, lat=30.95, lon=118.75), caregiver_present=True)
    closed = await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={"check_out": capture(1)},
        headers=caregiver(),
    )
    body = closed.json()
    assert body["status"] == "exception"
    assert [e["code"] for e in body["exceptions"]] == ["checkin_too_far"]
    exception_id = body["exceptions"][0]["id"]
    resolve = f"/v1/visits/{body['id']}/exceptions/{exception_id}/resolve"
    reason = {"reason_code": "gps_inaccurate", "note": "door tag scanned"}
    assert (await client.post(resolve, json=reason, headers=caregiver())).status_code == 403
    resolved = await client.post(resolve, json=reason, headers=admin())
    assert resolved.json()["status"] == "verified"
    assert await outbox_types(app) == ["visit.verified"]


async def test_correction_is_a_new_version_and_void_stops_counting(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    opened = await visit(client, caregiver_present=True)
    visit_id = opened.json()["id"]
    await client.post(
        f"/v1/visits/{visit_id}/check-out", json={"check_out": capture(1)}, headers=caregiver()
    )
    corrected = await client.post(
        f"/v1/visits/{visit_id}/correct",
        json={"reason": "left at 01:30", "check_out_at": "2022-06-01T01:30:00Z"},
        headers=admin(),
    )
    assert corrected.status_code == 200, corrected.text
    assert (corrected.json()["version"], corrected.json()["status"]) == (2, "verified")
    versions = (await client.get(f"/v1/visits/{visit_id}/versions", headers=admin())).json()
    assert [v["action"] for v in versions] == ["check_in", "check_out", "correct"]
    assert versions[1]["snapshot"]["check_out"]["at"].startswith("2022-06-01T01:00")
    voided = await client.post(
        f"/v1/visits/{visit_id}/void", json={"reason": "duplicate"}, headers=admin()
    )
    assert voided.json()["status"] == "voided"
    assert await outbox_types(app) == ["visit.verified", "visit.corrected", "visit.voided"]
    assert await rollup_counts(app) == (0, 0)
    again = await client.post(f"/v1/visits/{visit_id}/void", json={"reason": "x"}, headers=admin())
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []


async def test_who_sees_visits(app: FastAPI, client: httpx.AsyncClient) -> None:
    await ready(app, client)
    await add_worker(client, sub="cg-2", assign_to=None)
    visit_id = (await visit(client)).json()["id"]
    cases = {
        "worker": (caregiver("cg-1"), 200),
        "unassigned caregiver": (caregiver("cg-2"), 404),
        "admin": (admin(), 200),
        "other admin": (admin(OTHER_PROVIDER), 404),
        "officer": (officer(), 200),
        "officer elsewhere": (officer(("330100",)), 404),
        "elder without link": (elder(), 404),
    }
    for who, (headers, expected) in cases.items():
        assert (
            await client.get(f"/v1/visits/{visit_id}", headers=headers)
        ).status_code == expected, who
    assert (await visit(client, bed_id=BED)).status_code == 201
    officer_post = await client.post(
        "/v1/visits", json={"bed_id": BED, "check_in": capture(0)}, headers=officer()
    )
    assert officer_post.status_code == 403
    unassigned = await client.post(
        "/v1/visits", json={"bed_id": BED, "check_in": capture(0)}, headers=caregiver("cg-2")
    )
    assert unassigned.status_code == 404
    confirm = await client.post(f"/v1/visits/{visit_id}/confirm", json={}, headers=admin())
    assert confirm.status_code in (403, 409)
