"""The minimums calculator (exact contract), the live view, and the daily close job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from service_records.service.closing import close_days
from service_records.tables import CHASSIS_TABLES
from service_records.testing import (
    BED,
    add_worker,
    admin,
    bed_event,
    caregiver,
    elder,
    feed,
    officer,
)

BODY: dict[str, Any] = {
    "jurisdiction": "341800",
    "period": "2022-06",
    "bed": {
        "established_on": "2022-06-01",
        "suspensions": [{"from": "2022-06-10", "to": "2022-06-19"}],
    },
    "visits": [
        {
            "start": "2022-06-01T01:00:00Z",
            "end": "2022-06-01T02:10:00Z",
            "worker_role": "caregiver",
            "mode": "on_site",
            "caregiver_present": True,
        }
    ],
}


async def test_calculator_contract(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/minimums/check", json=BODY, headers=officer())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "applies",
        "compliant",
        "service_seconds",
        "required_seconds",
        "violations",
    }
    assert body["applies"] is True
    assert body["compliant"] is False
    assert body["service_seconds"] == 4200
    assert body["required_seconds"] == -(-108000 * 20 // 30)
    daily = [v for v in body["violations"] if v["rule"] == "daily_visit"]
    assert daily[0] == {"rule": "daily_visit", "date": "2022-06-02"}
    assert all("visit_index" not in v for v in daily)


async def test_calculator_names_bad_fields(client: httpx.AsyncClient) -> None:
    def bad(**changes: Any) -> dict[str, Any]:
        return {**BODY, **changes}

    cases = {
        "body.period": bad(period="2022-6"),
        "body.visits.0.end": bad(visits=[{**BODY["visits"][0], "end": "2022-06-01T00:00:00Z"}]),
        "body.visits.0.worker_role": bad(visits=[{**BODY["visits"][0], "worker_role": "pilot"}]),
        "body.jurisdiction": bad(jurisdiction="999999"),
    }
    for field, body in cases.items():
        response = await client.post("/v1/minimums/check", json=body, headers=admin())
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field
    assert (await client.post("/v1/minimums/check", json=BODY, headers=elder())).status_code == 403
    assert (await client.post("/v1/minimums/check", json=BODY)).status_code == 401


async def test_close_job_raises_missed_days_once(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await feed(app, bed_event())
    await add_worker(client, sub="cg-1")
    opened = await client.post(
        "/v1/visits",
        json={
            "bed_id": BED,
            "check_in": {"at": "2022-06-01T01:00:00Z", "method": "manual"},
            "caregiver_present": True,
        },
        headers=caregiver(),
    )
    await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={"check_out": {"at": "2022-06-01T02:00:00Z", "method": "manual"}},
        headers=caregiver(),
    )
    clock.set(datetime(2022, 6, 3, 4, tzinfo=UTC))  # June 1 served, June 2 missed
    assert await close_days(uow_factory=app.state.runtime.uow, clock=clock) == 1
    assert await close_days(uow_factory=app.state.runtime.uow, clock=clock) == 0
    uow = app.state.runtime.uow()
    async with uow:
        payloads = (await uow.session.execute(select(CHASSIS_TABLES.outbox.c.payload))).scalars()
        events = [orjson.loads(p) for p in payloads]
    breached = [e for e in events if e["type"] == "minimum.breached"]
    assert [(e["data"]["rule"], e["data"]["day"]) for e in breached] == [
        ("daily_visit", "2022-06-02")
    ]
    view = await client.get(f"/v1/minimums/beds/{BED}?period=2022-06", headers=admin())
    assert view.status_code == 200, view.text
    assert view.json()["service_seconds"] == 3600
    assert view.json()["breaches_raised"] == 1
    provider = await client.get("/v1/minimums/providers/prov-a?period=2022-06", headers=officer())
    assert [b["bed_id"] for b in provider.json()] == [BED]
    assert (
        await client.get("/v1/minimums/providers/prov-a?period=2022-06", headers=admin("prov-b"))
    ).status_code == 404
