"""Who learns what: no existence oracle on create (issue 10 #9), one-time link codes for elders
and family (#14), and actions listed per caller with what blocks the rest (#5)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from intake.tables import CHASSIS_TABLES, ApplicationRow

Auth = Callable[..., dict[str, str]]
ASSESSMENT = {
    "scale": "ability_4",
    "ability_level": "moderate",
    "assessor": "评估员王",
    "assessed_on": "2026-03-01",
}
SubmitAssess = Callable[..., Awaitable[httpx.Response]]


async def test_a_stranger_cannot_learn_that_an_elder_has_an_application(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    submit_assess: SubmitAssess,
) -> None:
    number = make_id("341802", "19400606")
    family = auth(Role.FAMILY, "family-1")
    first = await client.post("/v1/applications", json=new_application(number), headers=family)
    assert first.status_code == 201
    stranger = auth(Role.ELDER, "stranger")
    probe = new_application(number, name="随便写")
    unknown = await client.post(
        "/v1/applications", json=new_application(make_id("341802", "19400607")), headers=stranger
    )
    known = await client.post("/v1/applications", json=probe, headers=stranger)
    # the answer for an elder with an application looks like the one for an elder without
    assert (known.status_code, unknown.status_code) == (201, 201)
    assert set(known.json()) == set(unknown.json())
    for answer in (known.json(), unknown.json()):
        assert (answer["status"], answer["duplicate_of"]) == ("draft", None)
        assert answer["allowed_actions"] == ["update", "choose_provider", "submit", "withdraw"]
    assert known.json()["name"] == "随便写"  # never the name someone else entered
    dup_id = known.json()["id"]
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    await submit_assess(client, dup_id, applicant=stranger, officer=officer)
    seen = (await client.get(f"/v1/applications/{dup_id}", headers=officer)).json()
    assert seen["duplicate_of"] == first.json()["id"]
    review = await client.post(
        f"/v1/applications/{dup_id}/review", json={"level": "district"}, headers=officer
    )
    assert review.status_code == 409
    assert (
        "needs: the elder has no other active application or bed (duplicate)"
        in (review.json()["problems"])
    )


async def test_family_claims_an_offline_application_with_a_one_time_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    submit_assess: SubmitAssess,
    consents: Callable[..., Awaitable[None]],
) -> None:
    staff = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    family = auth(Role.FAMILY, "family-7")
    body = new_application(make_id("341802", "19400808"))
    app_id = (await client.post("/v1/applications", json=body, headers=staff)).json()["id"]
    assert (await client.get(f"/v1/applications/{app_id}", headers=family)).status_code == 404

    issued = await client.post(f"/v1/applications/{app_id}/link-code", headers=staff)
    assert issued.status_code == 201, issued.text
    assert issued.headers["cache-control"] == "no-store"
    code = issued.json()["code"]
    async with app.state.runtime.uow() as uow:
        row = await uow.session.get(ApplicationRow, app_id)
        assert row is not None
        assert row.link_code_hash  # a keyed hash at rest, never the code
        assert code not in row.link_code_hash

    # expired codes do not work; a new one replaces the old one
    clock.advance(timedelta(days=8))
    expired = await client.post("/v1/applications/link", json={"code": code}, headers=family)
    assert expired.status_code == 422
    assert expired.json()["errors"][0]["field"] == "body.code"
    code = (await client.post(f"/v1/applications/{app_id}/link-code", headers=staff)).json()["code"]
    assert (
        await client.post("/v1/applications/link", json={"code": code}, headers=staff)
    ).status_code == 403

    # the staff take the application to a contracted bed; the family links afterwards
    await submit_assess(client, app_id, applicant=staff, officer=officer)
    approved = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    bed_id = approved.json()["bed_id"]
    await consents(client, bed_id, staff, ("service_agreement",))
    contract = {"start": "2026-03-11", "end": "2026-09-10", "base_package_fee_fen": 80_000}
    assert (
        await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=staff)
    ).status_code == 201

    linked = await client.post("/v1/applications/link", json={"code": code}, headers=family)
    assert linked.status_code == 200, linked.text
    assert linked.json()["id"] == app_id
    assert (await client.get(f"/v1/beds/{bed_id}", headers=family)).status_code == 200
    mine = (await client.get("/v1/applications", headers=family)).json()
    assert [a["id"] for a in mine["items"]] == [app_id]
    reused = await client.post(
        "/v1/applications/link", json={"code": code}, headers=auth(Role.FAMILY, "family-8")
    )
    assert reused.status_code == 422
    again = await client.post(f"/v1/applications/{app_id}/link-code", headers=staff)
    assert again.status_code == 409

    outbox = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = (
            await uow.session.execute(
                select(outbox.c.event_type, outbox.c.payload).order_by(outbox.c.id)
            )
        ).all()
    linked_events = [r for r in rows if r[0] == "bed.linked"]
    assert len(linked_events) == 1
    assert '"applicant_sub":"family-7"' in str(linked_events[0][1]).replace(" ", "")


async def test_actions_are_listed_per_caller_with_what_blocks_the_rest(
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    submit_assess: SubmitAssess,
) -> None:
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    staff = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    body = new_application(make_id("341802", "19560909"))  # 69: needs moderate or severe
    app_id = (await client.post("/v1/applications", json=body, headers=family)).json()["id"]
    await submit_assess(client, app_id, applicant=family, officer=officer, ability_level="mild")
    as_officer = (await client.get(f"/v1/applications/{app_id}", headers=officer)).json()
    assert "approve" not in as_officer["allowed_actions"]
    assert {"choose_provider", "assess", "reject"} <= set(as_officer["allowed_actions"])
    blocked = {b["action"]: b["unmet"] for b in as_officer["blocked_actions"]}
    assert blocked["approve"] == ["eligibility rules unmet: age-and-ability"]
    as_family = (await client.get(f"/v1/applications/{app_id}", headers=family)).json()
    assert as_family["allowed_actions"] == ["choose_provider", "withdraw"]
    family_blocked = {b["action"]: b["unmet"] for b in as_family["blocked_actions"]}
    assert family_blocked["assess"] == ["role: one of officer"]

    await client.post(f"/v1/applications/{app_id}/assessment", json=ASSESSMENT, headers=officer)
    approved = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    bed_id = approved.json()["bed_id"]
    elder_view = (await client.get(f"/v1/beds/{bed_id}", headers=family)).json()
    assert elder_view["allowed_actions"] == []
    staff_view = (await client.get(f"/v1/beds/{bed_id}", headers=staff)).json()
    assert "establish" not in staff_view["allowed_actions"]
    staff_blocked = {b["action"]: b["unmet"] for b in staff_view["blocked_actions"]}
    assert "needs: a care plan is recorded" in staff_blocked["establish"]
    # 000 §三(一) 取得老人或申请人同意后签订服务协议: no consent yet, so signing is blocked (issue 11)
    assert staff_blocked["sign_contract"] == [
        "needs: consent to service_agreement (001 §四(一)): none recorded"
    ]
    assert staff_blocked["install_camera"] == [
        "needs: consent to video_monitoring (001 附件2): none recorded"
    ]
    assert set(staff_view["allowed_actions"]) == {
        "record_care_plan",
        "record_installation",
        "terminate",
    }
