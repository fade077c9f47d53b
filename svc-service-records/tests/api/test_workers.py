"""Care workers per provider, the caregiver link, and family-caregiver trainings."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

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


async def test_admin_registers_and_updates_workers(app: FastAPI, client: httpx.AsyncClient) -> None:
    await feed(app, bed_event())
    worker_id = await add_worker(client, sub="nurse-1", role="nurse", assign_to=None)
    one = await client.get(f"/v1/workers/{worker_id}", headers=admin())
    assert one.json()["role"] == "nurse"
    assert one.json()["certificates"] == ["C-1"]
    assert (
        await client.get(f"/v1/workers/{worker_id}", headers=caregiver("nurse-1"))
    ).status_code == 200
    assert (
        await client.get(f"/v1/workers/{worker_id}", headers=admin(OTHER_PROVIDER))
    ).status_code == 404
    assert (await client.get(f"/v1/workers/{worker_id}", headers=officer())).status_code == 404
    duplicate = await client.post(
        "/v1/workers",
        json={"name": "x", "role": "caregiver", "user_sub": "nurse-1"},
        headers=admin(),
    )
    assert duplicate.status_code == 409
    bad_role = await client.post(
        "/v1/workers", json={"name": "x", "role": "pilot"}, headers=admin()
    )
    assert bad_role.status_code == 422
    for headers in (caregiver(), officer(), elder()):
        denied = await client.post(
            "/v1/workers", json={"name": "x", "role": "caregiver"}, headers=headers
        )
        assert denied.status_code == 403
    off = await client.patch(f"/v1/workers/{worker_id}", json={"active": False}, headers=admin())
    assert off.json()["active"] is False
    listing = await client.get("/v1/workers?active=false", headers=admin())
    assert [w["id"] for w in listing.json()["items"]] == [worker_id]
    assert (await client.get("/v1/workers", headers=admin(OTHER_PROVIDER))).json()["total"] == 0


async def test_first_training_in_the_bed_period_is_free(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await feed(app, bed_event())
    await add_worker(client, sub="cg-1")
    body = {"trainee_name": "李强", "topic": "翻身与防压疮", "trained_on": "2022-06-02"}
    first = await client.post(f"/v1/roster/{BED}/trainings", json=body, headers=caregiver())
    assert first.status_code == 201, first.text
    second = await client.post(f"/v1/roster/{BED}/trainings", json=body, headers=admin())
    assert (first.json()["free"], second.json()["free"]) == (True, False)
    assert (
        await client.post(f"/v1/roster/{BED}/trainings", json=body, headers=officer())
    ).status_code == 403
    listed = await client.get(f"/v1/roster/{BED}/trainings", headers=officer())
    assert len(listed.json()) == 2
