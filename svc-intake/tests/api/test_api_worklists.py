"""Staff and officer tools: elder search by ID number (blind index) or name and the bed
worklists (issue 10 item 16), each scoped to the caller's provider or regions; the caregiver's
emergency-contact read during an alarm (issue 10 item 15)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from chassis.clock import ManualClock
from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from intake.consumers import handle_alarm_event, handle_device_event
from intake.testing import XUANCHENG_PLAN, accept_through_workflow, grant_consents

Auth = Callable[..., dict[str, str]]
WORKLISTS = ("missing-devices", "acceptance-due", "contracts-ending")


def who(auth: Auth) -> dict[str, dict[str, str]]:
    return {
        "family": auth(Role.FAMILY, "family-1"),
        "admin_a": auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a"),
        "carer_a": auth(Role.CAREGIVER, "carer-a", provider_id="prov-a"),
        "admin_b": auth(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b"),
        "officer": auth(Role.OFFICER, "officer-xz", regions=("341800",)),
        "officer_sh": auth(Role.OFFICER, "officer-sh", regions=("310105",)),
    }


async def approved_bed(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]
) -> tuple[str, str]:
    """Create, submit, assess and approve a Xuancheng application; (application id, bed id)."""
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    created = await client.post("/v1/applications", json=body, headers=family)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    assert (await client.post(f"/v1/applications/{app_id}/submit", headers=family)).is_success
    assessment = {
        "scale": "ability_4",
        "ability_level": "moderate",
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    assessed = await client.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer
    )
    assert assessed.status_code == 200, assessed.text
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    return app_id, reviewed.json()["bed_id"]


async def register_device(app: FastAPI, bed_id: str, device_type: str, device_id: str) -> None:
    data = {
        "device_id": device_id,
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "device_type": device_type,
        "serial": f"SN-{device_id}",
        "occurred_at": datetime(2026, 3, 2, tzinfo=UTC).isoformat(),
    }
    event = Envelope(
        type="device.registered", source="svc-iot-ingest", subject=device_id, data=data
    )
    async with app.state.runtime.uow() as uow:
        await handle_device_event(uow, event)
        await uow.commit()


async def establish(app: FastAPI, client: httpx.AsyncClient, auth: Auth, bed_id: str) -> None:
    """Care plan, contract (2026-03-05 .. 2026-09-04), devices confirmed, established."""
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    plan = XUANCHENG_PLAN
    assert (await client.put(f"/v1/beds/{bed_id}/care-plan", json=plan, headers=admin)).is_success
    await grant_consents(client, bed_id, admin)
    contract = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=admin)
    assert signed.status_code == 201, signed.text
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "vital_signs_monitor", "count": 1},
        ]
    }
    assert (
        await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=admin)
    ).is_success
    await register_device(app, bed_id, "emergency_button", f"btn-{bed_id}")
    await register_device(app, bed_id, "vital_signs_monitor", f"vsm-{bed_id}")
    established = await client.post(f"/v1/beds/{bed_id}/establish", headers=admin)
    assert established.status_code == 200, established.text


async def listed(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list[str]:
    answer = await client.get(path, headers=headers)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert page["total"] == len(page["items"]) or page["total"] > page["limit"]
    return [item["bed"]["id"] if "bed" in item else item["id"] for item in page["items"]]


async def test_search_by_id_number_is_exact_scoped_masked_and_audited(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    people = who(auth)
    number = make_id("341802", "19460501")
    app_id, _ = await approved_bed(client, auth, new_application(number))
    path = f"/v1/elders/search?id_number={number}"

    for role in ("admin_a", "carer_a", "officer"):
        found = await client.get(path, headers=people[role])
        assert found.status_code == 200, found.text
        assert [i["id"] for i in found.json()["items"]] == [app_id]
        assert found.json()["items"][0]["id_number_masked"] == "*" * 14 + number[-4:]
        assert number not in found.text
    for role in ("admin_b", "officer_sh"):  # another provider or region: nothing, no oracle
        assert (await client.get(path, headers=people[role])).json()["total"] == 0
    assert (await client.get(path, headers=people["family"])).status_code == 403
    prefix = await client.get(f"/v1/elders/search?name={number[:10]}", headers=people["officer"])
    assert prefix.json()["total"] == 0  # never a pattern on the number

    elder_id = (await client.get(path, headers=people["officer"])).json()["items"][0]["elder_id"]
    audit = await client.get(f"/v1/elders/{elder_id}/pii-audit", headers=people["officer"])
    lookups = [e for e in audit.json()["items"] if e["field"] == "id_number_search"]
    assert {e["actor_sub"] for e in lookups} == {"admin-a", "carer-a", "officer-xz"}
    assert {e["purpose"] for e in lookups} == {"lookup"}


async def test_search_by_name_stays_within_provider_or_region(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    people = who(auth)
    body_a = new_application(make_id("341802", "19460501"), name="王秀兰")
    body_b = new_application(make_id("341802", "19470202"), name="王秀兰", provider_id="prov-b")
    a = (await client.post("/v1/applications", json=body_a, headers=people["admin_a"])).json()
    b = (await client.post("/v1/applications", json=body_b, headers=people["admin_b"])).json()

    assert await listed(client, "/v1/elders/search?name=秀兰", people["admin_a"]) == [a["id"]]
    assert await listed(client, "/v1/elders/search?name=秀兰", people["admin_b"]) == [b["id"]]
    assert set(await listed(client, "/v1/elders/search?name=秀兰", people["officer"])) == {
        a["id"],
        b["id"],
    }
    assert await listed(client, "/v1/elders/search?name=秀兰", people["officer_sh"]) == []
    assert await listed(client, "/v1/elders/search?name=%25", people["officer"]) == []

    for query in ("", "?name=x&id_number=110105194605010010", "?surname=王"):
        refused = await client.get(f"/v1/elders/search{query}", headers=people["officer"])
        assert refused.status_code == 422, query


async def test_worklists_follow_the_bed_and_stay_in_scope(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    people = who(auth)
    _, bed_id = await approved_bed(client, auth, new_application(make_id("341802", "19460501")))
    missing = "/v1/beds/worklists/missing-devices"

    for role in ("admin_a", "carer_a", "officer"):
        assert await listed(client, missing, people[role]) == [bed_id]
    for role in ("admin_b", "officer_sh"):
        assert await listed(client, missing, people[role]) == []
    item = (await client.get(missing, headers=people["officer"])).json()["items"][0]
    assert len(item["missing_devices"]) == 2

    await establish(app, client, auth, bed_id)
    assert await listed(client, missing, people["admin_a"]) == []
    due = "/v1/beds/worklists/acceptance-due"
    assert await listed(client, due, people["officer"]) == []  # less than a month of service

    clock.advance(timedelta(days=31))  # 2026-04-02: a month after establishing on 2026-03-02
    assert await listed(client, due, people["officer"]) == [bed_id]
    assert (await client.get(due, headers=people["admin_a"])).json()["items"][0][
        "acceptance_due_on"
    ] == "2026-04-02"
    assert await listed(client, due, people["admin_b"]) == []
    assert await listed(client, due, people["officer_sh"]) == []

    ending = "/v1/beds/worklists/contracts-ending"
    assert await listed(client, ending, people["admin_a"]) == []  # ends 2026-09-04
    assert await listed(client, f"{ending}?within_days=160", people["admin_a"]) == [bed_id]
    clock.set(datetime(2026, 8, 10, 2, 0, tzinfo=UTC))
    assert await listed(client, ending, people["carer_a"]) == [bed_id]
    assert (await client.get(ending, headers=people["officer"])).json()["items"][0][
        "contract_end"
    ] == "2026-09-04"
    assert await listed(client, ending, people["admin_b"]) == []
    assert await listed(client, ending, people["officer_sh"]) == []

    accepted = await accept_through_workflow(
        client, bed_id, provider=people["admin_a"], officer=people["officer"], on="2026-08-10"
    )
    assert accepted.status_code == 200, accepted.text
    assert await listed(client, due, people["officer"]) == []


async def test_worklists_refuse_owners_and_unknown_filters(
    client: httpx.AsyncClient, auth: Auth
) -> None:
    people = who(auth)
    for name in WORKLISTS:
        path = f"/v1/beds/worklists/{name}"
        assert (await client.get(path, headers=people["family"])).status_code == 403
        assert (await client.get(f"{path}?status=x", headers=people["officer"])).status_code == 422
        answer = await client.get(path, headers=people["officer"])
        assert answer.json() == {
            "items": [],
            "total": 0,
            "limit": answer.json()["limit"],
            "offset": 0,
        }
    bad = await client.get(
        "/v1/beds/worklists/contracts-ending?within_days=-1", headers=people["officer"]
    )
    assert bad.status_code == 422


async def alarm_assigned(app: FastAPI, bed_id: str, assignee: str) -> None:
    """An open alarm of the bed dispatched to `assignee`, as iot.alarms.v1 tells intake."""
    at = datetime(2026, 3, 2, 2, 5, tzinfo=UTC)
    data = {
        "alarm_id": f"alarm-{bed_id}",
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "alarm_type": "fall_detected",
        "severity": "critical",
        "status": "dispatched",
        "count": 1,
        "raised_at": at.isoformat(),
        "arrival_deadline": (at + timedelta(minutes=15)).isoformat(),
        "assignee": assignee,
        "occurred_at": at.isoformat(),
    }
    event = Envelope(type="alarm.dispatched", source="svc-iot-ingest", subject=bed_id, data=data)
    async with app.state.runtime.uow() as uow:
        await handle_alarm_event(uow, event)
        await uow.commit()


async def test_caregiver_reads_only_the_emergency_phone_of_a_bed_of_their_provider(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    people = who(auth)
    carer_b = auth(Role.CAREGIVER, "carer-b", provider_id="prov-b")
    draft = (
        await client.post(
            "/v1/applications",
            json=new_application(make_id("341802", "19470202")),
            headers=people["admin_a"],
        )
    ).json()
    emergency = {"field": "emergency_phone", "purpose": "emergency_contact"}
    no_bed = await client.post(
        f"/v1/applications/{draft['id']}/reveal", json=emergency, headers=people["carer_a"]
    )
    assert no_bed.status_code == 403  # an application without a bed: no alarm to answer

    app_id, bed_id = await approved_bed(
        client, auth, new_application(make_id("341802", "19460501"))
    )
    reveal = f"/v1/applications/{app_id}/reveal"
    await alarm_assigned(app, bed_id, "carer-a")  # only the assignee of an open alarm reads it
    by_application = await client.post(reveal, json=emergency, headers=people["carer_a"])
    assert by_application.status_code == 200, by_application.text
    assert by_application.json()["value"] == "13900139001"
    by_bed = await client.post(f"/v1/beds/{bed_id}/emergency-contact", headers=people["carer_a"])
    assert by_bed.status_code == 200, by_bed.text
    assert by_bed.json() == {**by_bed.json(), "field": "emergency_phone", "value": "13900139001"}
    assert by_bed.headers["cache-control"] == "no-store"

    for other in (
        {"field": "id_number", "purpose": "emergency_contact"},
        {"field": "caregiver_phone", "purpose": "emergency_contact"},
        {"field": "emergency_phone", "purpose": "identity_verification"},
    ):
        refused = await client.post(reveal, json=other, headers=people["carer_a"])
        assert refused.status_code == 403, other
    assert (await client.post(reveal, json=emergency, headers=carer_b)).status_code == 404
    assert (
        await client.post(f"/v1/beds/{bed_id}/emergency-contact", headers=carer_b)
    ).status_code == 404
    assert (
        await client.post(f"/v1/beds/{bed_id}/emergency-contact", headers=people["family"])
    ).status_code == 403

    read = await client.get(f"/v1/applications/{app_id}", headers=people["officer"])
    elder_id = read.json()["elder_id"]
    audit = await client.get(f"/v1/elders/{elder_id}/pii-audit", headers=people["officer"])
    trail = [(e["actor_sub"], e["field"], e["purpose"]) for e in audit.json()["items"]]
    assert trail == [("carer-a", "emergency_phone", "emergency_contact")] * 2
