"""Changes to a running bed over HTTP, on SQLite and PostgreSQL (issue 11 items 2, 3, 6, 8, 10).

- 001 §四(六) "根据合同约定或协商一致后解除合同，并在 5 个工作日内…变更": terminate and transfer
  record who dissolved the contract and when; the deadline counts from that day.
- 000 §三(五) "探索“养老床位与家庭病床”的有机融合" / "需要转至养老机构入住的，通过市级平台发起转养
  申请": the offline transfer names its path; only a nursing home ends the bed.
- 001 §四(四)3 "达成一致后签订服务合同": a follow-on contract at a filed price; the expiry notice
  30 days ahead, once; an unrenewed contract ends the bed (contract_expired) from its last day.
- 001 §四(四)5 "根据老年人身体状况变化，及时调整服务计划": a re-assessment updates the bed, is
  published with the old level, and puts the care plan on the provider's revision worklist.
- 001 §四(六) "试点地区民政部门应及时重新选定服务机构": officers move a bed, or every bed of a
  suspended provider, to another provider; history kept, the new provider must sign.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.db import decode_envelope
from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from homebed_schemas.topics import INTAKE_BEDS
from intake.consumers import handle_device_event
from intake.service.renewals import sweep_contracts
from intake.tables import CHASSIS_TABLES
from intake.testing import XUANCHENG_PLAN, grant_consents

Auth = Callable[..., dict[str, str]]
PLAN = XUANCHENG_PLAN  # 001 附件3 items meeting 001 §四(三)3


def who(auth: Auth) -> dict[str, dict[str, str]]:
    return {
        "family": auth(Role.FAMILY, "family-1"),
        "admin_a": auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a"),
        "carer_a": auth(Role.CAREGIVER, "carer-a", provider_id="prov-a"),
        "admin_b": auth(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b"),
        "officer": auth(Role.OFFICER, "officer-xz", regions=("341800",)),
    }


async def established_bed(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]
) -> str:
    """Apply, assess (moderate), approve, care plan, contract 2026-03-05..2026-09-04 at a filed
    80 000 fen, devices confirmed, established on 2026-03-02 (the test clock's day)."""
    people = who(auth)
    created = await client.post("/v1/applications", json=body, headers=people["family"])
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    await client.post(f"/v1/applications/{app_id}/submit", headers=people["family"])
    assessment = {
        "scale": "ability_4",
        "ability_level": "moderate",
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    await client.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=people["officer"]
    )
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=people["officer"]
    )
    bed_id = str(reviewed.json()["bed_id"])
    admin = people["admin_a"]
    await client.put(f"/v1/beds/{bed_id}/care-plan", json=PLAN, headers=admin)
    await grant_consents(client, bed_id, admin)  # 000 §三(一): consent before signing
    contract = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=admin)
    assert signed.status_code == 201, signed.text
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "vital_signs_monitor", "count": 1},
        ]
    }
    await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=admin)
    for device_type in ("emergency_button", "vital_signs_monitor"):
        data = {
            "device_id": f"{device_type}-{bed_id}",
            "bed_id": bed_id,
            "provider_id": "prov-a",
            "device_type": device_type,
            "serial": "SN",
            "occurred_at": datetime(2026, 3, 2, tzinfo=UTC).isoformat(),
        }
        event = Envelope(
            type="device.registered", source="svc-iot-ingest", subject=bed_id, data=data
        )
        async with app.state.runtime.uow() as uow:
            await handle_device_event(uow, event)
            await uow.commit()
    established = await client.post(f"/v1/beds/{bed_id}/establish", headers=admin)
    assert established.status_code == 200, established.text
    return bed_id


async def bed_events(app: FastAPI, bed_id: str) -> list[Envelope]:
    outbox = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(outbox.c.payload)
            .where(outbox.c.topic == INTAKE_BEDS.name, outbox.c.key == bed_id)
            .order_by(outbox.c.id)
        )
        return [decode_envelope(bytes(r[0])) for r in rows]


def on(clock: ManualClock, day: str) -> None:
    """Move the clock to 10:00 Shanghai on `day`."""
    clock.set(datetime.fromisoformat(f"{day}T02:00:00+00:00"))


async def test_terminate_counts_the_deadline_from_the_dissolution(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """001 §四(六): hospitalised on 28 April, the contract dissolved by agreement on 6 May."""
    bed_id = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400501"))
    )
    admin = who(auth)["admin_a"]
    on(clock, "2026-05-11")
    body = {"reason": "long_hospital_stay", "event_date": "2026-04-28", "note": "长期住院"}
    before = await client.post(
        f"/v1/beds/{bed_id}/terminate",
        json={**body, "contract_dissolved_on": "2026-04-27"},
        headers=admin,
    )
    assert before.status_code == 422, before.text
    assert before.json()["errors"][0]["field"] == "body.contract_dissolved_on"

    ended = await client.post(
        f"/v1/beds/{bed_id}/terminate",
        json={**body, "contract_dissolved_on": "2026-05-06"},
        headers=admin,
    )
    assert ended.status_code == 200, ended.text
    answer = ended.json()
    assert answer["contract_dissolved_on"] == "2026-05-06"
    assert answer["update_deadline"] == "2026-05-12"  # counted from the event it was 8 May
    assert answer["late"] is False
    bed = answer["bed"]
    assert (bed["contract_dissolved_on"], bed["contract_dissolved_by"]) == ("2026-05-06", "admin-a")
    assert bed["contract"]["dissolved_on"] == "2026-05-06"
    listed = (await client.get("/v1/beds?status=terminated", headers=admin)).json()["items"]
    assert [(b["id"], b["contract_dissolved_on"]) for b in listed] == [(bed_id, "2026-05-06")]
    [event] = [e for e in await bed_events(app, bed_id) if e.type == "bed.terminated"]
    assert event.data["contract_dissolved_on"] == "2026-05-06"
    assert event.data["update_deadline"] == "2026-05-12"


async def test_the_transfer_path_decides_what_the_bed_does(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """000 §三(五): family sickbed combines, hospital suspends, only the nursing home ends."""
    people = who(auth)
    bed_id = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400502"))
    )
    on(clock, "2026-04-01")
    url = f"/v1/beds/{bed_id}/transfer"
    sickbed = {
        "path": "family_sickbed",
        "event_date": "2026-03-31",
        "receiving_organisation": "鳌峰社区卫生服务中心",
    }
    assert (await client.post(url, json=sickbed, headers=people["carer_a"])).status_code == 403
    assert (await client.post(url, json=sickbed, headers=people["admin_b"])).status_code == 404
    wrong = await client.post(
        url, json={**sickbed, "contract_dissolved_on": "2026-03-31"}, headers=people["officer"]
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "body.contract_dissolved_on"
    legacy = await client.post(
        url, json={"target": "institution", "event_date": "2026-03-31"}, headers=people["officer"]
    )
    assert legacy.status_code == 422  # the path must be named

    combined = await client.post(url, json=sickbed, headers=people["officer"])
    assert combined.status_code == 200, combined.text
    answer = combined.json()
    assert (answer["effect"], answer["update_deadline"]) == ("link_family_sickbed", None)
    assert answer["bed"]["status"] == "established"
    assert answer["bed"]["family_sickbed_referral_id"] == answer["referral_id"]
    sickbed_referral = answer["referral_id"]
    clock.advance(timedelta(minutes=5))  # the history lists the newest first

    hospital = {
        "path": "hospital",
        "event_date": "2026-04-01",
        "receiving_organisation": "宣城市人民医院",
    }
    suspended = await client.post(url, json=hospital, headers=people["admin_a"])
    assert suspended.json()["bed"]["status"] == "suspended", suspended.text
    hospital_referral = suspended.json()["referral_id"]
    discharge = f"/v1/beds/{bed_id}/referrals/{hospital_referral}/service-ended"
    too_early = await client.post(
        discharge, json={"ended_on": "2026-03-30"}, headers=people["admin_a"]
    )
    assert too_early.status_code == 422
    resumed = await client.post(
        discharge, json={"ended_on": "2026-04-01"}, headers=people["admin_a"]
    )
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["effect"], resumed.json()["bed"]["status"]) == ("resume", "established")
    missing = f"/v1/beds/{bed_id}/referrals/offline-nope/service-ended"
    assert (
        await client.post(missing, json={"ended_on": "2026-04-01"}, headers=people["officer"])
    ).status_code == 404

    on(clock, "2026-04-13")
    nursing = {
        "path": "nursing_home",
        "event_date": "2026-04-08",
        "receiving_organisation": "宣城市社会福利院",
        "contract_dissolved_on": "2026-04-10",
    }
    moved = await client.post(url, json=nursing, headers=people["officer"])
    assert moved.status_code == 200, moved.text
    answer = moved.json()
    assert answer["bed"]["status"] == "transferred"
    assert answer["bed"]["transfer_target"] == "nursing_home"
    assert answer["contract_dissolved_on"] == "2026-04-10"
    assert answer["update_deadline"] == "2026-04-17"
    assert answer["late"] is False
    history = (await client.get(f"/v1/beds/{bed_id}/history", headers=people["officer"])).json()
    assert [(r["path"], r["source"]) for r in history["referrals"]] == [
        ("nursing_home", "offline"),
        ("hospital", "offline"),
        ("family_sickbed", "offline"),
    ]
    assert sickbed_referral in {r["referral_id"] for r in history["referrals"]}
    assert [e.type for e in await bed_events(app, bed_id)][-4:] == [
        "bed.family_sickbed_linked",
        "bed.suspended",
        "bed.resumed",
        "bed.transferred",
    ]


async def test_renewal_notice_and_expiry(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """001 §四(四)3: renew at a filed price without a gap; notice 30 days ahead, once; an
    unrenewed contract ends the bed from its last day (001 §四(六) clock)."""
    people = who(auth)
    renewed_bed = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400503"))
    )
    lapsing_bed = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400504", "004"))
    )
    uow_factory = app.state.runtime.uow

    on(clock, "2026-08-04")  # 31 days before the last day (4 September)
    assert (await sweep_contracts(uow_factory=uow_factory, clock=clock)).noticed == 0
    on(clock, "2026-08-05")
    assert (await sweep_contracts(uow_factory=uow_factory, clock=clock)).noticed == 2
    assert (await sweep_contracts(uow_factory=uow_factory, clock=clock)).noticed == 0  # once
    for bed_id in (renewed_bed, lapsing_bed):
        notices = [e for e in await bed_events(app, bed_id) if e.type == "bed.contract_expiring"]
        assert [n.data["contract_end"] for n in notices] == ["2026-09-04"]
    ending = await client.get("/v1/beds/worklists/contracts-ending", headers=people["admin_a"])
    assert {i["bed"]["id"] for i in ending.json()["items"]} == {renewed_bed, lapsing_bed}

    url = f"/v1/beds/{renewed_bed}/renewal"
    term = {"start": "2026-09-05", "end": "2027-03-04", "base_package_fee_fen": 80000}
    assert (await client.post(url, json=term, headers=people["carer_a"])).status_code == 403
    gap = await client.post(url, json={**term, "start": "2026-09-07"}, headers=people["admin_a"])
    assert gap.status_code == 422
    assert gap.json()["errors"][0]["field"] == "body.start"
    unfiled = await client.post(
        url, json={**term, "base_package_fee_fen": 70000}, headers=people["admin_a"]
    )
    assert unfiled.status_code == 422
    assert unfiled.json()["errors"][0]["field"] == "body.base_package_fee_fen"
    renewed = await client.post(url, json=term, headers=people["admin_a"])
    assert renewed.status_code == 201, renewed.text
    contract = renewed.json()["contract"]
    assert (contract["start"], contract["end"], contract["is_first"]) == (
        "2026-09-05",
        "2027-03-04",
        False,
    )
    ending = await client.get("/v1/beds/worklists/contracts-ending", headers=people["admin_a"])
    assert [i["bed"]["id"] for i in ending.json()["items"]] == [lapsing_bed]

    on(clock, "2026-09-05")
    result = await sweep_contracts(uow_factory=uow_factory, clock=clock)
    assert (result.noticed, result.ended) == (0, 1)
    assert (await client.get(f"/v1/beds/{renewed_bed}", headers=people["admin_a"])).json()[
        "status"
    ] == "established"
    lapsed = (await client.get(f"/v1/beds/{lapsing_bed}", headers=people["officer"])).json()
    assert (lapsed["status"], lapsed["end_reason"]) == ("terminated", "contract_expired")
    assert (lapsed["event_date"], lapsed["contract_dissolved_on"]) == ("2026-09-04", "2026-09-04")
    assert lapsed["contract_dissolved_by"] == "svc-intake:contract-expiry"
    assert (lapsed["update_deadline"], lapsed["late_update"]) == ("2026-09-11", False)
    types = [e.type for e in await bed_events(app, renewed_bed)]
    assert types[-2:] == ["bed.contract_expiring", "bed.contract_renewed"]
    assert [e.type for e in await bed_events(app, lapsing_bed)][-1] == "bed.terminated"


async def test_reassessment_puts_the_care_plan_up_for_revision(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """001 §四(四)5: 根据老年人身体状况变化，及时调整服务计划."""
    people = who(auth)
    bed_id = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400505"))
    )
    on(clock, "2026-04-02")
    url = f"/v1/beds/{bed_id}/reassessment"
    body = {
        "scale": "ability_4",
        "ability_level": "severe",
        "assessor": "评估员李",
        "assessed_on": "2026-04-01",
    }
    assert (await client.post(url, json=body, headers=people["admin_a"])).status_code == 403
    early = await client.post(
        url, json={**body, "assessed_on": "2026-03-01"}, headers=people["officer"]
    )
    assert early.status_code == 422
    assert early.json()["errors"][0]["field"] == "body.assessed_on"
    other_scale = {
        "scale": "care_needs_0_6",
        "care_needs_level": 4,
        "assessor": "x",
        "assessed_on": "2026-04-01",
    }
    assert (await client.post(url, json=other_scale, headers=people["officer"])).status_code == 409

    reassessed = await client.post(url, json=body, headers=people["officer"])
    assert reassessed.status_code == 200, reassessed.text
    bed = reassessed.json()
    assert bed["ability_level"] == "severe"
    assert (bed["care_plan_revision_due"], bed["care_plan_revision_due_since"]) == (
        True,
        "2026-04-01",
    )
    [event] = [e for e in await bed_events(app, bed_id) if e.type == "bed.reassessed"]
    assert (event.data["previous_ability_level"], event.data["ability_level"]) == (
        "moderate",
        "severe",
    )
    assert event.data["assessed_on"] == "2026-04-01"

    worklist = "/v1/beds/worklists/care-plan-revisions"
    due = (await client.get(worklist, headers=people["carer_a"])).json()
    assert [(i["bed"]["id"], i["care_plan_revision_due_since"]) for i in due["items"]] == [
        (bed_id, "2026-04-01")
    ]
    assert (await client.get(worklist, headers=people["admin_b"])).json()["total"] == 0
    assert (await client.get(worklist, headers=people["family"])).status_code == 403
    revised = await client.put(f"/v1/beds/{bed_id}/care-plan", json=PLAN, headers=people["carer_a"])
    assert revised.json()["care_plan_revision_due"] is False
    assert (await client.get(worklist, headers=people["admin_a"])).json()["total"] == 0
    history = (await client.get(f"/v1/beds/{bed_id}/history", headers=people["family"])).json()
    [entry] = history["assessments"]
    assert (entry["previous_ability_level"], entry["ability_level"]) == ("moderate", "severe")


async def test_officers_move_beds_to_another_provider(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """001 §四(六): 服务机构被…关停…的，试点地区民政部门应及时重新选定服务机构."""
    people = who(auth)
    moved_bed = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400506"))
    )
    bulk_bed = await established_bed(
        app, client, auth, new_application(make_id("341802", "19400507", "004"))
    )
    on(clock, "2026-05-06")
    url = f"/v1/beds/{moved_bed}/change-provider"
    body = {"provider_id": "prov-b", "reason": "原机构停业整顿"}
    assert (await client.post(url, json=body, headers=people["admin_a"])).status_code == 403
    same = await client.post(url, json={**body, "provider_id": "prov-a"}, headers=people["officer"])
    assert same.status_code == 409
    unknown = await client.post(
        url, json={**body, "provider_id": "prov-x"}, headers=people["officer"]
    )
    assert unknown.status_code == 409

    moved = await client.post(url, json=body, headers=people["officer"])
    assert moved.status_code == 200, moved.text
    assert (moved.json()["provider_id"], moved.json()["new_contract_needed"]) == ("prov-b", True)
    assert (await client.get(f"/v1/beds/{moved_bed}", headers=people["admin_a"])).status_code == 404
    assert (await client.get(f"/v1/beds/{moved_bed}", headers=people["admin_b"])).status_code == 200
    [event] = [e for e in await bed_events(app, moved_bed) if e.type == "bed.provider_changed"]
    assert (event.data["previous_provider_id"], event.data["provider_id"]) == ("prov-a", "prov-b")
    needed = (
        await client.get("/v1/beds/worklists/new-contracts", headers=people["admin_b"])
    ).json()
    assert [i["bed"]["id"] for i in needed["items"]] == [moved_bed]

    renewal = f"/v1/beds/{moved_bed}/renewal"
    term = {"start": "2026-05-05", "end": "2026-11-04", "base_package_fee_fen": 90000}
    early = await client.post(renewal, json=term, headers=people["admin_b"])
    assert early.status_code == 422  # before prov-b took the bed over
    signed = await client.post(
        renewal, json={**term, "start": "2026-05-06"}, headers=people["admin_b"]
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["new_contract_needed"] is False
    history = (await client.get(f"/v1/beds/{moved_bed}/history", headers=people["officer"])).json()
    assert [c["provider_id"] for c in history["contracts"]] == ["prov-b", "prov-a"]
    assert [(p["from_provider_id"], p["to_provider_id"]) for p in history["provider_changes"]] == [
        ("prov-a", "prov-b")
    ]

    bulk = "/v1/providers/prov-a/move-beds"
    move = {"to_provider_id": "prov-b", "reason": "原机构被责令停业整顿"}
    active = await client.post(bulk, json=move, headers=people["officer"])
    assert active.status_code == 409  # prov-a is still active
    suspended = await client.post(
        "/v1/providers/prov-a/suspend", json={"reason": "责令停业整顿"}, headers=people["officer"]
    )
    assert suspended.status_code == 200, suspended.text
    assert (await client.post(bulk, json=move, headers=people["admin_b"])).status_code == 403
    done = await client.post(bulk, json=move, headers=people["officer"])
    assert done.status_code == 200, done.text
    assert (done.json()["moved"], done.json()["skipped"]) == ([bulk_bed], [])
    assert (await client.get(f"/v1/beds/{bulk_bed}", headers=people["admin_b"])).json()[
        "new_contract_needed"
    ] is True
    clock.advance(timedelta(days=1))
    again = await client.post(bulk, json=move, headers=people["officer"])
    assert again.json()["moved"] == []
