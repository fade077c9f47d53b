"""The internal read svc-reporting calls for the T+1 city report (000 附件1 基本信息 and friends):
every field of an established bed, one audit row per ID number opened (purpose `city_report`),
only the service principal (role ops + scope city_report) may call it, and no PII in the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from homebed_schemas.envelope import Envelope
from intake.consumers import handle_device_event
from intake.tables import PiiAccessRow
from intake.testing import grant_consents

ROUTE = "/internal/v1/city-report/beds"
DAY = "2026-03-02"  # the test clock's Shanghai date


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


def service() -> dict[str, str]:
    return as_principal(sub="svc-reporting", role=Role.OPS, scopes=("city_report",))


FAMILY = {"sub": "family-1", "role": Role.FAMILY}
OFFICER = {"sub": "officer-xz", "role": Role.OFFICER, "region_codes": ("341800",)}
ADMIN = {"sub": "admin-a", "role": Role.PROVIDER_ADMIN, "provider_id": "prov-a"}


async def _device(app: FastAPI, bed_id: str, device_type: str, device_id: str) -> None:
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


async def established_bed(app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    """Application → assessment → approval → care plan → contract → installations → devices
    confirmed → established (today, 2026-03-02)."""
    created = await client.post("/v1/applications", json=body, headers=as_principal(**FAMILY))
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    submitted = await client.post(
        f"/v1/applications/{app_id}/submit", headers=as_principal(**FAMILY)
    )
    assert submitted.status_code == 200, submitted.text
    assessment = {
        "scale": "ability_4",
        "ability_level": "severe",
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    officer = as_principal(**OFFICER)
    assessed = await client.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer
    )
    assert assessed.status_code == 200, assessed.text
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    bed_id: str = reviewed.json()["bed_id"]
    admin = as_principal(**ADMIN)
    plan = {  # 001 附件3 items that meet 001 §四(三)3: 36 hours in a 28-day month
        "items": [
            {
                "item_id": "home_rounds",
                "times": 2,
                "per": "week",
                "minutes_per_visit": 60,
                "worker_role": "nurse",
            },
            {
                "item_id": "cleaning",
                "times": 1,
                "per": "day",
                "minutes_per_visit": 60,
                "worker_role": "caregiver",
            },
        ]
    }
    planned = await client.put(f"/v1/beds/{bed_id}/care-plan", json=plan, headers=admin)
    assert planned.status_code == 200, planned.text
    await grant_consents(client, bed_id, admin)
    contract = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=admin)
    assert signed.status_code == 201, signed.text
    items = {
        "items": [
            {"item_id": "emergency_button", "count": 1},
            {"item_id": "vital_signs_monitor", "count": 1},
            {"item_id": "grab_bar", "count": 3},
        ]
    }
    installed = await client.put(f"/v1/beds/{bed_id}/installations", json=items, headers=admin)
    assert installed.status_code == 200, installed.text
    await _device(app, bed_id, "emergency_button", f"dev-1-{bed_id}")
    await _device(app, bed_id, "vital_signs_monitor", f"dev-2-{bed_id}")
    established = await client.post(f"/v1/beds/{bed_id}/establish", headers=admin)
    assert established.status_code == 200, established.text
    return bed_id


async def _audit(app: FastAPI) -> list[tuple[str, str, str, str, str | None, str | None]]:
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(
                PiiAccessRow.actor_sub,
                PiiAccessRow.actor_role,
                PiiAccessRow.field,
                PiiAccessRow.purpose,
                PiiAccessRow.application_id,
                PiiAccessRow.actor_provider_id,
            ).order_by(PiiAccessRow.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_the_service_principal_reads_every_field_and_each_id_opening_is_audited(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    id_number = make_id("341802", "19460501")
    body = new_application(
        id_number,
        name="郑秀梅",
        hukou_address={"region_code": "341821", "detail": "郎溪县 建平镇 中港路 9 号"},
        current_address={"region_code": "341802", "detail": "鳌峰街道 梅园路 5 号 302 室"},
    )
    bed_id = await established_bed(app, client, body)
    before = len(await _audit(app))

    caplog.set_level(logging.INFO)  # the services' own logs (drivers debug-log SQL)
    query = {"provider_id": "prov-a", "day": DAY, "purpose": "city_report"}
    answer = await client.post(ROUTE, json=query, headers=service())
    assert answer.status_code == 200, answer.text
    beds = answer.json()["beds"]
    assert [b["bed_id"] for b in beds] == [bed_id]
    bed = beds[0]
    assert bed["provider_id"] == "prov-a"
    assert bed["status"] == "established"
    assert bed["name"] == "郑秀梅"
    assert bed["id_number"] == id_number  # in full, for the platform only
    assert bed["hukou_address"] == {"region_code": "341821", "detail": "郎溪县 建平镇 中港路 9 号"}
    assert bed["bed_address"] == {"region_code": "341802", "detail": "鳌峰街道 梅园路 5 号 302 室"}
    assert bed["ability_level"] == "severe"
    assert bed["economic_status"] == "dibao"
    assert bed["established_on"] == DAY
    assert bed["ended_on"] is None
    assert bed["end_reason"] is None
    counts = {(i["item_id"], i["kind"]): i["count"] for i in bed["installations"]}
    assert counts[("grab_bar", "modification")] == 3
    assert counts[("emergency_button", "smart_device")] == 1
    assert bed["agreement"]["signed_on"] == DAY
    assert len(bed["agreement"]["text_sha256"]) == 64
    assert bed["monthly_visits"] == 2 * 4 + 30  # week×4, day×30
    assert bed["monthly_fee_fen"] == 80000

    # one audit row per ID number opened, with purpose city_report and the caller
    audit = (await _audit(app))[before:]
    assert len(audit) == 1
    assert audit[0][:4] == ("svc-reporting", "ops", "id_number", "city_report")
    assert audit[0][4] is not None
    assert audit[0][5] is None  # the actor is the reporter, not a provider's staff
    # the elder's name and ID number never reach the logs
    assert id_number not in caplog.text
    assert id_number[-8:] not in caplog.text
    assert "郑秀梅" not in caplog.text

    # a day before the bed was established: nothing opened, nothing audited
    earlier = await client.post(ROUTE, json={**query, "day": "2026-03-01"}, headers=service())
    assert earlier.status_code == 200
    assert earlier.json()["beds"] == []
    # another provider's beds are not in this provider's report
    other = await client.post(ROUTE, json={**query, "provider_id": "prov-b"}, headers=service())
    assert other.json()["beds"] == []
    assert len(await _audit(app)) == before + 1


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"sub": "ops-1", "role": Role.OPS}, 403),  # ops without the scope
        ({**ADMIN, "scopes": ("city_report",)}, 403),  # the scope without the role
        (ADMIN, 403),
        (OFFICER, 403),
        (FAMILY, 403),
        ({"sub": "cg-1", "role": Role.CAREGIVER, "provider_id": "prov-a"}, 403),
        (None, 401),
    ],
)
async def test_only_the_service_principal_may_call(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    claims: dict[str, Any] | None,
    status: int,
) -> None:
    await established_bed(app, client, new_application(make_id("341802", "19460501")))
    before = len(await _audit(app))
    headers = as_principal(**claims) if claims else {}
    query = {"provider_id": "prov-a", "day": DAY, "purpose": "city_report"}
    answer = await client.post(ROUTE, json=query, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "id_number" not in answer.text
    assert len(await _audit(app)) == before  # nothing opened, nothing audited


async def test_the_purpose_must_be_the_city_report(app: FastAPI, client: httpx.AsyncClient) -> None:
    query = {"provider_id": "prov-a", "day": DAY, "purpose": "curiosity"}
    answer = await client.post(ROUTE, json=query, headers=service())
    assert answer.status_code == 422
