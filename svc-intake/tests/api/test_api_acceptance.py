"""Acceptance (验收) as 001 §四(五) runs it, over HTTP: "服务机构在提供服务满 1 个月后，向试点地区
民政部门提交验收申请及家庭养老床位服务合同、建设投入清单、服务数据信息清单等材料，由试点地区民政部门
组织街道、社区等共同入户验收认定". The provider applies, street and community inspect together, the
officer returns it with reasons or accepts; only the officer's accept moves the bed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.envelope import Envelope
from intake.consumers import handle_device_event
from intake.tables import CHASSIS_TABLES
from intake.testing import (
    INVESTMENT,
    JOINT_INSPECTION,
    XUANCHENG_PLAN,
    acceptance_body,
    approved_bed,
    grant_consents,
)

Auth = Callable[..., dict[str, str]]


async def established_bed(
    app: FastAPI, client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]
) -> str:
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    bed_id = await approved_bed(
        client, body, applicant=auth(Role.FAMILY, "fam-acc"), officer=officer
    )
    assert (
        await client.put(f"/v1/beds/{bed_id}/care-plan", json=XUANCHENG_PLAN, headers=admin)
    ).is_success
    await grant_consents(client, bed_id, admin)
    contract = {"start": "2026-03-02", "end": "2026-09-01", "base_package_fee_fen": 80000}
    assert (
        await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=admin)
    ).is_success
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "smart_mattress", "count": 1},
        ]
    }
    assert (
        await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=admin)
    ).is_success
    for device_type in ("emergency_button", "smart_mattress"):
        data = {
            "device_id": f"{bed_id}-{device_type}",
            "bed_id": bed_id,
            "provider_id": "prov-a",
            "device_type": device_type,
            "serial": "SN",
            "occurred_at": "2026-03-02T02:00:00+00:00",
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


async def acceptance_events(app: FastAPI) -> list[tuple[str, dict[str, Any]]]:
    table = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(table.c.event_type, table.c.payload)
            .where(table.c.event_type.like("bed.accept%"))
            .order_by(table.c.id)
        )
        return [(t, orjson.loads(p)["data"]) for t, p in rows]


async def test_apply_inspect_return_apply_again_and_accept(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("001", "由试点地区民政部门组织街道、社区等共同入户验收认定")
    bed_id = await established_bed(
        app, client, auth, new_application(make_id("341802", "19460601"))
    )
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    family = auth(Role.FAMILY, "fam-acc")
    contract_id = (await client.get(f"/v1/beds/{bed_id}", headers=admin)).json()["contract"]["id"]
    clock.advance(timedelta(days=31))  # 2026-04-02: the month of service has passed
    apply = f"/v1/beds/{bed_id}/acceptance"
    body = acceptance_body(contract_id, period_start="2026-03-02", period_end="2026-04-01")

    wrong_total = {**body, "investment": {**INVESTMENT, "total_fen": 149_999}}
    refused = await client.post(apply, json=wrong_total, headers=admin)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.investment.total_fen"
    unknown = await client.post(apply, json={**body, "contract_id": "nope"}, headers=admin)
    assert unknown.json()["errors"][0]["field"] == "body.contract_id"
    assert (await client.post(apply, json=body, headers=officer)).status_code == 403

    applied = await client.post(apply, json=body, headers=admin)
    assert applied.status_code == 201, applied.text
    assert (applied.json()["attempt"], applied.json()["status"]) == (1, "applied")
    assert applied.json()["investment"]["total_fen"] == 150_000
    twice = await client.post(apply, json=body, headers=admin)
    assert twice.status_code == 409

    view = (await client.get(f"/v1/beds/{bed_id}", headers=officer)).json()
    blocked = {b["action"]: b["unmet"] for b in view["blocked_actions"]}
    assert blocked["accept"] == [
        "needs: the joint inspection at home by street and community (001 §四(五))"
    ]
    assert {"record_inspection", "return_acceptance"} <= set(view["allowed_actions"])
    early = await client.post(f"/v1/beds/{bed_id}/accept", json={}, headers=officer)
    assert early.status_code == 409
    assert early.json()["allowed_actions"] == ["record_inspection", "return_acceptance"]

    inspection = {**JOINT_INSPECTION, "inspected_on": "2026-04-02"}
    one_side = {**inspection, "community_inspectors": []}
    assert (
        await client.post(f"{apply}/inspection", json=one_side, headers=officer)
    ).status_code == 422  # street and community inspect together
    assert (
        await client.post(f"{apply}/inspection", json=inspection, headers=admin)
    ).status_code == 403
    inspected = await client.post(f"{apply}/inspection", json=inspection, headers=officer)
    assert inspected.status_code == 200, inspected.text
    assert inspected.json()["inspection"]["community_inspectors"] == ["社区 李主任"]

    reasons = {"reasons": ["建设投入凭证缺失", "服务记录不足 30 小时"]}
    returned = await client.post(f"{apply}/return", json=reasons, headers=officer)
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"
    assert (await client.get(f"/v1/beds/{bed_id}", headers=admin)).json()["status"] == "established"
    assert (
        await client.post(f"/v1/beds/{bed_id}/accept", json={}, headers=officer)
    ).status_code == 409

    clock.advance(timedelta(days=7))  # 2026-04-09
    again = await client.post(
        apply,
        json=acceptance_body(contract_id, period_start="2026-03-02", period_end="2026-04-08"),
        headers=admin,
    )
    assert again.status_code == 201, again.text
    assert again.json()["attempt"] == 2
    inspected = await client.post(
        f"{apply}/inspection", json={**inspection, "inspected_on": "2026-04-09"}, headers=officer
    )
    assert inspected.status_code == 200
    accepted = await client.post(
        f"/v1/beds/{bed_id}/accept", json={"note": "入户验收合格"}, headers=officer
    )
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["status"], accepted.json()["accepted_on"]) == ("accepted", "2026-04-09")

    history = await client.get(apply, headers=family)  # the family reads it too
    assert [(a["attempt"], a["status"]) for a in history.json()["items"]] == [
        (2, "accepted"),
        (1, "returned"),
    ]
    assert history.json()["items"][1]["reasons"] == reasons["reasons"]

    events = await acceptance_events(app)
    assert [t for t, _ in events] == [
        "bed.acceptance_applied",
        "bed.acceptance_inspected",
        "bed.acceptance_returned",
        "bed.acceptance_applied",
        "bed.acceptance_inspected",
        "bed.acceptance_approved",
        "bed.accepted",
    ]
    approved = events[-2][1]
    assert approved["investment_total_fen"] == 150_000  # svc-subsidy reads the list here
    assert [line["amount_fen"] for line in approved["investment"]] == [90_000, 45_000, 15_000]
    assert approved["accepted_on"] == "2026-04-09"
    assert approved["contract_id"] == contract_id
    assert events[2][1]["reasons"] == reasons["reasons"]


async def test_no_application_before_a_month_of_service(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("001", "服务机构在提供服务满 1 个月后")
    bed_id = await established_bed(
        app, client, auth, new_application(make_id("341802", "19460602"))
    )
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    view = (await client.get(f"/v1/beds/{bed_id}", headers=admin)).json()
    blocked = {b["action"]: b["unmet"] for b in view["blocked_actions"]}
    assert blocked["apply_acceptance"] == [
        "acceptance needs 1 month(s) of service: earliest 2026-04-02 (001 §四(五))"
    ]
    body = acceptance_body(
        view["contract"]["id"], period_start="2026-03-02", period_end="2026-03-02"
    )
    early = await client.post(f"/v1/beds/{bed_id}/acceptance", json=body, headers=admin)
    assert early.status_code == 409
    assert early.json()["action"] == "apply_acceptance"
