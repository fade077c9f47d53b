"""The whole path over HTTP, on SQLite and PostgreSQL: application → assessment → review →
guidance → care plan → contract → installation (confirmed by device.registered) → establish →
accept after a month → suspend/resume → terminate with its working-day deadline.
Every change is one event in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from homebed_schemas.envelope import Envelope
from intake.consumers import handle_device_event
from intake.tables import CHASSIS_TABLES
from intake.testing import (
    JOINT_INSPECTION,
    XUANCHENG_PLAN,
    accept_through_workflow,
    acceptance_body,
    grant_consents,
)

Auth = Callable[..., dict[str, str]]
FAMILY = {"role": Role.FAMILY, "sub": "family-1"}
OFFICER = {"role": Role.OFFICER, "sub": "officer-xz", "regions": ("341800",)}
PROVIDER = {"role": Role.PROVIDER_ADMIN, "sub": "admin-a", "provider_id": "prov-a"}


def as_(auth: Auth, who: dict[str, Any]) -> dict[str, str]:
    return auth(
        who["role"], who["sub"], provider_id=who.get("provider_id"), regions=who.get("regions", ())
    )


async def register_device(app: FastAPI, bed_id: str, device_type: str, device_id: str) -> None:
    """Apply a device.registered event the way the consumer runner does."""
    data = {
        "device_id": device_id,
        "bed_id": bed_id,
        "provider_id": "prov-a",
        "device_type": device_type,
        "serial": f"SN-{device_id}",
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    event = Envelope(
        type="device.registered", source="svc-iot-ingest", subject=device_id, data=data
    )
    async with app.state.runtime.uow() as uow:
        await handle_device_event(uow, event)
        await uow.commit()


async def outbox_types(app: FastAPI) -> list[str]:
    outbox = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(select(outbox.c.event_type).order_by(outbox.c.id))
        return [r[0] for r in rows]


async def approved_bed(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any], *, ability: str = "moderate"
) -> tuple[str, str]:
    """Create, submit, assess and approve (Xuancheng: one district review); (app id, bed id)."""
    created = await client.post("/v1/applications", json=body, headers=as_(auth, FAMILY))
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    submitted = await client.post(f"/v1/applications/{app_id}/submit", headers=as_(auth, FAMILY))
    assert submitted.status_code == 200, submitted.text
    assessment = {
        "scale": "ability_4",
        "ability_level": ability,
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    assessed = await client.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=as_(auth, OFFICER)
    )
    assert assessed.status_code == 200, assessed.text
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=as_(auth, OFFICER)
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "approved"
    return app_id, reviewed.json()["bed_id"]


async def test_full_lifecycle(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19460501"))
    app_id, bed_id = await approved_bed(client, auth, body)
    provider = as_(auth, PROVIDER)

    guidance = (await client.get(f"/v1/beds/{bed_id}/guidance", headers=provider)).json()
    subsidy = {e["id"]: e for e in guidance["entitlements"]}["low-income-service-subsidy"]
    assert subsidy["applies"] is True
    assert subsidy["citation"] == "001 §四(七)2"
    assert guidance["min_first_contract_months"] == 6

    assert (
        await client.put(f"/v1/beds/{bed_id}/care-plan", json=XUANCHENG_PLAN, headers=provider)
    ).status_code == 200

    # 000 §三(一) "取得老人或申请人同意后签订服务协议": no consent, no contract (issue 11)
    unconsented = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}
    refused = await client.post(f"/v1/beds/{bed_id}/contract", json=unconsented, headers=provider)
    assert refused.status_code == 409
    assert refused.json()["missing_consents"] == ["service_agreement"]
    await grant_consents(client, bed_id, provider)

    short = {"start": "2026-03-05", "end": "2026-08-03", "base_package_fee_fen": 80000}
    too_short = await client.post(f"/v1/beds/{bed_id}/contract", json=short, headers=provider)
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["field"] == "body.end"
    contract = {
        **short,
        "end": "2026-09-04",
        "personal_items": [{"name": "陪同就医", "monthly_fee_fen": 20000}],
    }
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=provider)
    assert signed.status_code == 201, signed.text
    assert signed.json()["contract"]["is_first"] is True

    items = {
        "items": [
            {"item_id": "emergency_button", "count": 2},
            {"item_id": "vital_signs_monitor", "count": 1},
            {"item_id": "grab_bar", "count": 3},
        ]
    }
    installed = await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=provider)
    assert installed.status_code == 200
    assert len(installed.json()["missing_devices"]) == 2  # nothing confirmed yet

    early = await client.post(f"/v1/beds/{bed_id}/establish", headers=provider)
    assert early.status_code == 409
    assert any("call-response" in p for p in early.json()["problems"])

    await register_device(app, bed_id, "emergency_button", "dev-1")
    await register_device(app, bed_id, "vital_signs_monitor", "dev-2")
    established = await client.post(f"/v1/beds/{bed_id}/establish", headers=provider)
    assert established.status_code == 200, established.text
    bed = established.json()
    assert bed["status"] == "established"
    assert bed["established_on"] == "2026-03-02"
    assert {i["item_id"]: i["confirmed"] for i in bed["installations"]} == {
        "emergency_button": True,
        "grab_bar": False,
        "vital_signs_monitor": True,
    }

    officer = as_(auth, OFFICER)
    contract_id = bed["contract"]["id"]
    early = acceptance_body(contract_id, period_start="2026-03-02", period_end="2026-03-02")
    too_soon = await client.post(f"/v1/beds/{bed_id}/acceptance", json=early, headers=provider)
    assert too_soon.status_code == 409
    assert "earliest 2026-04-02" in too_soon.json()["problems"][0]
    not_applied = await client.post(f"/v1/beds/{bed_id}/accept", json={}, headers=officer)
    assert not_applied.status_code == 409
    assert not_applied.json()["allowed_actions"] == ["apply_acceptance"]
    clock.advance(timedelta(days=31))
    accepted = await accept_through_workflow(
        client, bed_id, provider=provider, officer=officer, on="2026-04-02"
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["accepted_on"] == "2026-04-02"
    assert accepted.json()["inspections"][0]["findings"] == JOINT_INSPECTION["findings"]

    assert (
        await client.post(f"/v1/beds/{bed_id}/suspend", json={"reason": "住院"}, headers=provider)
    ).json()["status"] == "suspended"
    assert (await client.post(f"/v1/beds/{bed_id}/resume", headers=provider)).json()[
        "status"
    ] == "accepted"

    clock.set(datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    ended = await client.post(
        f"/v1/beds/{bed_id}/terminate",
        json={"reason": "death", "event_date": "2026-09-30"},
        headers=provider,
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["update_deadline"] == "2026-10-13"  # counts Sat 10 Oct (make-up day)
    assert ended.json()["late"] is False
    assert ended.json()["bed"]["status"] == "terminated"

    again = await client.post(f"/v1/beds/{bed_id}/resume", headers=provider)
    assert again.status_code == 409
    assert again.json()["allowed_actions"] == []

    assert await outbox_types(app) == [
        "application.submitted",
        "application.assessed",
        "application.approved",
        "bed.consent_recorded",
        "bed.consent_recorded",
        "bed.consent_recorded",
        "bed.contracted",
        "bed.established",
        "bed.acceptance_applied",
        "bed.acceptance_inspected",
        "bed.acceptance_approved",
        "bed.accepted",
        "bed.suspended",
        "bed.resumed",
        "bed.terminated",
    ]
    read = (await client.get(f"/v1/applications/{app_id}", headers=as_(auth, FAMILY))).json()
    assert read["bed_id"] == bed_id
    assert read["id_number_masked"].endswith(body["id_number"][-4:])
    assert body["id_number"] not in str(read)


async def test_late_termination_is_flagged(
    client: httpx.AsyncClient,
    auth: Auth,
    clock: ManualClock,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    _app_id, bed_id = await approved_bed(
        client, auth, new_application(make_id("341802", "19400101"))
    )
    provider = as_(auth, PROVIDER)
    clock.advance(timedelta(days=10))  # recorded 2026-03-12, event on 2026-03-02: due 2026-03-09
    ended = await client.post(
        f"/v1/beds/{bed_id}/terminate",
        json={"reason": "moved", "event_date": "2026-03-02"},
        headers=provider,
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["update_deadline"] == "2026-03-09"
    assert ended.json()["late"] is True
    assert ended.json()["bed"]["late_update"] is True


async def test_one_active_application_per_elder(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    """409 only for a caller who may see the elder's active application (no existence oracle)."""
    body = new_application(make_id("341802", "19450303"))
    assert (
        await client.post("/v1/applications", json=body, headers=as_(auth, FAMILY))
    ).status_code == 201
    again = await client.post("/v1/applications", json=body, headers=as_(auth, FAMILY))
    assert again.status_code == 409
    assert body["id_number"] not in again.text
    staff = await client.post("/v1/applications", json=body, headers=as_(auth, PROVIDER))
    assert staff.status_code == 409  # prov-a sees the application that names it


async def test_terminate_refuses_event_dates_outside_the_beds_life(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    _app_id, bed_id = await approved_bed(
        client, auth, new_application(make_id("341802", "19400102"))
    )
    provider = as_(auth, PROVIDER)
    for event_date, problem in (("2026-03-01", "before the bed existed"), ("2026-03-03", "after")):
        refused = await client.post(
            f"/v1/beds/{bed_id}/terminate",
            json={"reason": "moved", "event_date": event_date},
            headers=provider,
        )
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["errors"]
        assert error["field"] == "body.event_date"
        assert problem in error["message"]
    bed = (await client.get(f"/v1/beds/{bed_id}", headers=provider)).json()
    assert bed["status"] == "preparing"
