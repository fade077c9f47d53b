"""The no-check-out sweep opens `no_checkout_12h` once, on open visits older than 12 hours."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
from service_records.service.sweeps import sweep_open_visits
from service_records.testing import BED, add_worker, admin, bed_event, caregiver, feed

CHECK_IN = {
    "at": "2022-06-01T00:00:00+00:00",
    "location": {"lat": 30.94, "lon": 118.75, "accuracy_m": 8},
    "method": "gps",
}


async def open_visit(app: FastAPI, client: httpx.AsyncClient) -> str:
    await feed(app, bed_event())
    await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 30.94, "longitude": 118.75}, headers=admin()
    )
    await add_worker(client, sub="cg-1")
    response = await client.post(
        "/v1/visits", json={"bed_id": BED, "check_in": CHECK_IN}, headers=caregiver()
    )
    assert response.status_code == 201, response.text
    visit_id: str = response.json()["id"]
    return visit_id


async def sweep(app: FastAPI, clock: ManualClock) -> int:
    return await sweep_open_visits(uow_factory=app.state.runtime.uow, clock=clock)


async def test_open_visit_older_than_12h_gets_the_exception_once(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    visit_id = await open_visit(app, client)
    assert await sweep(app, clock) == 0  # 4 h after check-in
    clock.advance(timedelta(hours=8, minutes=1))  # 12 h 1 min
    assert await sweep(app, clock) == 1
    assert await sweep(app, clock) == 0  # never twice
    body = (await client.get(f"/v1/visits/{visit_id}", headers=admin())).json()
    assert body["status"] == "open"
    assert [e["code"] for e in body["exceptions"]] == ["no_checkout_12h"]


async def test_late_check_out_leaves_the_visit_in_exception_until_resolved(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    visit_id = await open_visit(app, client)
    clock.advance(timedelta(hours=9))
    await sweep(app, clock)
    closed = await client.post(
        f"/v1/visits/{visit_id}/check-out",
        json={"check_out": {**CHECK_IN, "at": "2022-06-01T01:00:00+00:00"}},
        headers=caregiver(),
    )
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "exception"
    exception_id = body["exceptions"][0]["id"]
    resolved = await client.post(
        f"/v1/visits/{visit_id}/exceptions/{exception_id}/resolve",
        json={"reason_code": "forgot_checkout", "note": "left at 09:00"},
        headers=admin(),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "verified"


async def test_checked_out_visits_are_not_swept(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    visit_id = await open_visit(app, client)
    await client.post(
        f"/v1/visits/{visit_id}/check-out",
        json={"check_out": {**CHECK_IN, "at": "2022-06-01T01:00:00+00:00"}},
        headers=caregiver(),
    )
    clock.advance(timedelta(days=1))
    assert await sweep(app, clock) == 0
