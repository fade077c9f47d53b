"""Visit plan tasks over HTTP: planned at establishment, today's list, completion by a verified
visit, missed by the sweep, replanned on suspension and resumption, plan items, assignment."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import SHANGHAI, ManualClock
from service_records.service.plan import sweep_tasks
from service_records.testing import (
    BED,
    OTHER_PROVIDER,
    add_worker,
    admin,
    bed_event,
    caregiver,
    feed,
    officer,
)

HOME = {"lat": 30.94, "lon": 118.75, "accuracy_m": 8}


def at(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2022, 6, day, hour, minute, tzinfo=SHANGHAI).isoformat()


async def ready(app: FastAPI, client: httpx.AsyncClient) -> str:
    await feed(app, bed_event())
    await client.put(
        f"/v1/roster/{BED}/location", json={"latitude": 30.94, "longitude": 118.75}, headers=admin()
    )
    return await add_worker(client, sub="cg-1")


async def tasks(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> Any:
    response = await client.get("/v1/tasks", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def serve(client: httpx.AsyncClient, start: str, end: str, items: list[str]) -> None:
    opened = await client.post(
        "/v1/visits",
        json={
            "bed_id": BED,
            "check_in": {"at": start, "location": HOME, "method": "gps"},
            "items": items,
            "caregiver_present": True,
        },
        headers=caregiver(),
    )
    assert opened.status_code == 201, opened.text
    closed = await client.post(
        f"/v1/visits/{opened.json()['id']}/check-out",
        json={"check_out": {"at": end, "location": HOME, "method": "gps"}},
        headers=caregiver(),
    )
    assert closed.json()["status"] == "verified", closed.text


async def test_establishment_plans_daily_and_medic_tasks(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    today = await tasks(client, caregiver(), due="today")
    kinds = sorted(t["kind"] for t in today["items"])
    assert kinds == ["daily_visit", "medic_visit"]
    everything = await tasks(client, admin(), limit=100)
    assert everything["total"] == 14 + 1  # 14 daily visits to the horizon, one medic period
    assert (await tasks(client, admin(OTHER_PROVIDER)))["total"] == 0
    assert (await tasks(client, officer(), due="2022-06-02"))["total"] == 2
    bad = await client.get("/v1/tasks", params={"due": "tomorrow"}, headers=admin())
    assert bad.status_code == 422


async def test_verified_visit_completes_and_sweep_misses(
    app: FastAPI, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    await ready(app, client)
    await serve(client, at(1, 8), at(1, 9), ["cleaning"])
    day1 = {t["kind"]: t for t in (await tasks(client, admin(), due="2022-06-01"))["items"]}
    assert day1["daily_visit"]["status"] == "completed"
    assert day1["daily_visit"]["visit_id"] is not None
    assert day1["medic_visit"]["status"] == "scheduled"  # a caregiver is not a medic
    clock.set(datetime(2022, 6, 3, 1, 0, tzinfo=SHANGHAI))
    missed = await sweep_tasks(uow_factory=app.state.runtime.uow, clock=clock)
    assert missed == 1  # 2 June passed without a visit
    day2 = (await tasks(client, admin(), due="2022-06-02", kind="daily_visit"))["items"]
    assert day2[0]["status"] == "missed"
    horizon = await tasks(client, admin(), due="2022-06-16", kind="daily_visit")
    assert horizon["total"] == 1  # the sweep extended the plan


async def test_suspension_cancels_and_resumption_replans(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await ready(app, client)
    await feed(
        app,
        bed_event(
            "bed.suspended",
            status="suspended",
            event_date=date(2022, 6, 5),
            occurred_at=datetime(2022, 6, 5, 1, 0, tzinfo=SHANGHAI),
        ),
    )
    day6 = (await tasks(client, admin(), due="2022-06-06", kind="daily_visit"))["items"]
    assert day6[0]["status"] == "cancelled"
    await feed(
        app,
        bed_event(
            "bed.resumed",
            event_date=date(2022, 6, 8),
            occurred_at=datetime(2022, 6, 8, 1, 0, tzinfo=SHANGHAI),
        ),
    )
    day7 = (await tasks(client, admin(), due="2022-06-07", kind="daily_visit"))["items"]
    day8 = (await tasks(client, admin(), due="2022-06-08", kind="daily_visit"))["items"]
    assert (day7[0]["status"], day8[0]["status"]) == ("cancelled", "scheduled")
    await feed(
        app,
        bed_event(
            "bed.terminated",
            status="terminated",
            event_date=date(2022, 6, 10),
            occurred_at=datetime(2022, 6, 10, 1, 0, tzinfo=SHANGHAI),
        ),
    )
    after = await tasks(client, admin(), status="scheduled", kind="daily_visit", limit=100)
    assert max(t["day"] for t in after["items"]) == "2022-06-10"


async def test_plan_item_recurs_and_is_assigned(app: FastAPI, client: httpx.AsyncClient) -> None:
    worker_id = await ready(app, client)
    created = await client.post(
        f"/v1/roster/{BED}/plan-items",
        json={"item_code": "cleaning", "every_days": 7, "due_time": "09:00"},
        headers=admin(),
    )
    assert created.status_code == 201, created.text
    refused = await client.post(
        f"/v1/roster/{BED}/plan-items", json={"item_code": "nope"}, headers=admin()
    )
    assert refused.status_code == 422
    forbidden = await client.post(
        f"/v1/roster/{BED}/plan-items", json={"item_code": "cleaning"}, headers=caregiver()
    )
    assert forbidden.status_code == 403
    items = await tasks(client, admin(), kind="item")
    assert [t["day"] for t in items["items"]] == ["2022-06-01", "2022-06-08"]
    task_id = items["items"][0]["id"]
    assigned = await client.put(
        f"/v1/tasks/{task_id}/assignee", json={"worker_id": worker_id}, headers=admin()
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee_worker_id"] == worker_id
    await serve(client, at(1, 8, 30), at(1, 9, 30), ["cleaning"])
    done = (await tasks(client, caregiver(), kind="item", due="today"))["items"][0]
    assert done["status"] == "completed"
    again = await client.put(
        f"/v1/tasks/{task_id}/assignee", json={"worker_id": None}, headers=admin()
    )
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []
    plan_items = await client.get(f"/v1/roster/{BED}/plan-items", headers=caregiver())
    assert [p["every_days"] for p in plan_items.json()] == [7]
