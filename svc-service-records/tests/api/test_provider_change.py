"""A bed moved to another provider (intake's `bed.provider_changed`; 001 §四(六) "试点地区民政部门
应及时重新选定服务机构"): the roster names the new provider; the old provider's assignments of the
bed are dropped and its open tasks pass to the new provider unassigned, so the old provider's
caregivers and admins no longer see the bed (404) and the new provider's do. The archive
travels with the bed and records the move."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.testing.seeds import quoted_in_seed
from service_records.testing import (
    BED,
    OTHER_PROVIDER,
    PROVIDER,
    add_worker,
    admin,
    bed_event,
    caregiver,
    feed,
)

MOVED_AT = datetime(2022, 6, 1, 5, 0, tzinfo=UTC)  # 13:00 Shanghai, the clock's day


async def _tasks(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/tasks", params={"kind": "item"}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_old_providers_people_lose_the_bed_and_the_new_ones_get_it(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert quoted_in_seed("001", "试点地区民政部门应及时重新选定服务机构")
    await feed(app, bed_event())
    old_worker = await add_worker(client, sub="cg-1")
    created = await client.post(
        f"/v1/roster/{BED}/plan-items",
        json={"item_code": "cleaning", "every_days": 7, "due_time": "18:00"},
        headers=admin(),
    )
    assert created.status_code == 201, created.text
    planned = (await _tasks(client, admin()))["items"]
    assert [t["day"] for t in planned] == ["2022-06-01", "2022-06-08"]
    assigned = await client.put(
        f"/v1/tasks/{planned[0]['id']}/assignee", json={"worker_id": old_worker}, headers=admin()
    )
    assert assigned.status_code == 200, assigned.text
    assert (await client.get(f"/v1/roster/{BED}", headers=caregiver("cg-1"))).status_code == 200

    await feed(
        app,
        bed_event(
            "bed.provider_changed",
            provider_id=OTHER_PROVIDER,
            previous_provider_id=PROVIDER,
            occurred_at=MOVED_AT,
        ),
    )

    # the old provider: its caregiver and admin see nothing of the bed any more
    for headers in (caregiver("cg-1"), admin()):
        assert (await client.get(f"/v1/roster/{BED}", headers=headers)).status_code == 404
        assert (await client.get("/v1/roster", headers=headers)).json()["total"] == 0
        assert (await _tasks(client, headers))["total"] == 0
    check_in = await client.post(
        "/v1/visits",
        json={
            "bed_id": BED,
            "check_in": {
                "at": MOVED_AT.isoformat(),
                "location": {"lat": 30.94, "lon": 118.75, "accuracy_m": 8},
                "method": "gps",
            },
            "items": ["cleaning"],
        },
        headers=caregiver("cg-1"),
    )
    assert check_in.status_code == 404

    # the new provider: the bed without the old assignments, its open tasks unassigned
    bed = (await client.get(f"/v1/roster/{BED}", headers=admin(OTHER_PROVIDER))).json()
    assert (bed["provider_id"], bed["assignees"]) == (OTHER_PROVIDER, [])
    handed = (await _tasks(client, admin(OTHER_PROVIDER)))["items"]
    assert [(t["day"], t["status"], t["assignee_worker_id"]) for t in handed] == [
        ("2022-06-01", "scheduled", None),
        ("2022-06-08", "scheduled", None),
    ]
    new_worker = await add_worker(client, sub="cg-21", provider_id=OTHER_PROVIDER)
    reassigned = await client.put(
        f"/v1/tasks/{handed[0]['id']}/assignee",
        json={"worker_id": new_worker},
        headers=admin(OTHER_PROVIDER),
    )
    assert reassigned.status_code == 200, reassigned.text
    mine = await _tasks(client, caregiver("cg-21", provider_id=OTHER_PROVIDER))
    assert mine["total"] == 2

    # the archive travels with the bed and says who had it
    archive = await client.get(
        f"/v1/archive/{BED}", params={"kind": "bed"}, headers=admin(OTHER_PROVIDER)
    )
    moved = [e for e in archive.json()["items"] if e["type"] == "bed.provider_changed"]
    assert [e["summary"]["previous_provider_id"] for e in moved] == [PROVIDER]
    assert [e["summary"]["provider_id"] for e in moved] == [OTHER_PROVIDER]


async def test_a_replayed_or_late_event_does_not_move_the_bed_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event())
    moved = bed_event(
        "bed.provider_changed",
        provider_id=OTHER_PROVIDER,
        previous_provider_id=PROVIDER,
        occurred_at=MOVED_AT,
    )
    await feed(app, moved)
    new_worker = await add_worker(client, sub="cg-21", provider_id=OTHER_PROVIDER)
    await feed(app, moved)  # replayed (the chassis dedupes by id; a DLQ replay may not)
    await feed(app, bed_event(occurred_at=datetime(2022, 6, 1, 1, 0, tzinfo=UTC)))  # late, old
    bed = (await client.get(f"/v1/roster/{BED}", headers=admin(OTHER_PROVIDER))).json()
    assert (bed["provider_id"], bed["assignees"]) == (OTHER_PROVIDER, [new_worker])
