"""The internal read svc-referral's archive package takes from intake (000 §三(五) "将老人信息和
服务档案等相关数据共享"): only what the consent covers is asked for; the ID number stays masked
unless identity is covered, then the read is audited (purpose `referral`); only the service
principal (role ops + scope referral_archive) may call it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from intake.tables import PiiAccessRow

ROUTE = "/internal/v1/referral-archive/beds"


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


SERVICE = {"sub": "svc-referral", "role": Role.OPS, "scopes": ("referral_archive",)}
FAMILY = {"sub": "family-1", "role": Role.FAMILY}
OFFICER = {"sub": "officer-xz", "role": Role.OFFICER, "region_codes": ("341800",)}
ADMIN = {"sub": "admin-a", "role": Role.PROVIDER_ADMIN, "provider_id": "prov-a"}


async def approved_bed(client: httpx.AsyncClient, body: dict[str, Any]) -> str:
    created = await client.post("/v1/applications", json=body, headers=as_principal(**FAMILY))
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    await client.post(f"/v1/applications/{app_id}/submit", headers=as_principal(**FAMILY))
    assessment = {
        "scale": "ability_4",
        "ability_level": "severe",
        "assessor": "评估员王",
        "assessed_on": "2026-03-01",
    }
    officer = as_principal(**OFFICER)
    await client.post(f"/v1/applications/{app_id}/assessment", json=assessment, headers=officer)
    reviewed = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=officer
    )
    assert reviewed.json()["status"] == "approved", reviewed.text
    bed_id: str = reviewed.json()["bed_id"]
    plan = {  # 001 附件3 items that meet 001 §四(三)3
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
    planned = await client.put(
        f"/v1/beds/{bed_id}/care-plan", json=plan, headers=as_principal(**ADMIN)
    )
    assert planned.status_code == 200, planned.text
    return bed_id


async def test_only_the_covered_categories_and_identity_audited(
    app: FastAPI,
    client: httpx.AsyncClient,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    id_number = make_id("341802", "19460501")
    bed_id = await approved_bed(client, new_application(id_number))
    service = as_principal(**SERVICE)
    basic = await client.get(
        f"{ROUTE}/{bed_id}", params={"categories": "basic_info,care_plan"}, headers=service
    )
    assert basic.status_code == 200, basic.text
    archive = basic.json()
    assert archive["elder"]["id_number"] is None
    assert archive["elder"]["id_number_masked"].endswith(id_number[-4:])
    assert archive["elder"]["name_masked"].endswith("*")
    assert {i["item_id"] for i in archive["care_plan"]} == {"home_rounds", "cleaning"}
    assert archive["assessments"] is None
    full = await client.get(
        f"{ROUTE}/{bed_id}", params={"categories": "identity,assessment"}, headers=service
    )
    assert full.json()["elder"]["id_number"] == id_number
    assert full.json()["care_plan"] is None
    async with app.state.runtime.uow() as uow:
        audit = list(await uow.session.scalars(select(PiiAccessRow.purpose)))
    assert audit.count("referral") == 1
    for who in (FAMILY, ADMIN, {"sub": "svc-x", "role": Role.OPS}):
        refused = await client.get(
            f"{ROUTE}/{bed_id}", params={"categories": "basic_info"}, headers=as_principal(**who)
        )
        assert refused.status_code == 403
    missing = await client.get(
        f"{ROUTE}/nope", params={"categories": "basic_info"}, headers=service
    )
    assert missing.status_code == 404
    bad = await client.get(f"{ROUTE}/{bed_id}", params={"categories": "vitals"}, headers=service)
    assert bad.status_code == 422
