"""Helpers for tests that drive intake over HTTP (its own and the cross-service ones): a care
plan that meets Xuancheng's minimums, the consents a bed's steps need, and acceptance through
its workflow (apply, joint inspection, accept)."""

from __future__ import annotations

from typing import Any

import httpx

# A Xuancheng care plan from 001 附件3 that meets 001 §四(三)3: a nurse's home round every day
# (60 min) and cleaning twice a week (60 min): 36 hours in a 28-day month.
XUANCHENG_PLAN: dict[str, Any] = {
    "items": [
        {
            "item_id": "home_rounds",
            "times": 1,
            "per": "day",
            "minutes_per_visit": 60,
            "worker_role": "nurse",
        },
        {
            "item_id": "cleaning",
            "times": 2,
            "per": "week",
            "minutes_per_visit": 60,
            "worker_role": "caregiver",
        },
    ]
}
CONSENT_SCOPES = ("service_agreement", "video_monitoring", "home_modification")


def consent_body(scope: str, **changes: Any) -> dict[str, Any]:
    """A written consent signed by the elder's son, as provider staff record it."""
    body: dict[str, Any] = {
        "scope": scope,
        "decision": "granted",
        "given_by": "applicant",
        "giver_name": "李强",
        "relation": "son",
        "method": "written",
        "given_at": "2026-03-01T02:00:00Z",
        "evidence_ref": f"scan-{scope}.pdf",
    }
    body.update(changes)
    return body


async def grant_consents(
    client: httpx.AsyncClient,
    bed_id: str,
    headers: dict[str, str],
    scopes: tuple[str, ...] = CONSENT_SCOPES,
    *,
    given_at: str | None = None,
) -> None:
    """Record the consents a bed's steps need (signing, cameras, home modifications)."""
    for scope in scopes:
        body = consent_body(scope, **({"given_at": given_at} if given_at else {}))
        recorded = await client.post(f"/v1/beds/{bed_id}/consents", json=body, headers=headers)
        assert recorded.status_code == 201, recorded.text


INVESTMENT = {
    "lines": [
        {"category": "modification", "description": "卫生间扶手 3 处", "amount_fen": 90_000},
        {"category": "smart_device", "description": "紧急呼叫按钮", "amount_fen": 45_000},
        {"category": "installation_maintenance", "description": "安装调试", "amount_fen": 15_000},
    ],
    "total_fen": 150_000,
}


def acceptance_body(contract_id: str, *, period_start: str, period_end: str) -> dict[str, Any]:
    """An acceptance application: contract, construction investment list, service data list."""
    return {
        "contract_id": contract_id,
        "investment": INVESTMENT,
        "service_data": {
            "period_start": period_start,
            "period_end": period_end,
            "lines": [{"item": "上门巡诊", "times": 30, "total_minutes": 1800}],
        },
    }


JOINT_INSPECTION = {
    "street_inspectors": ["街道 王科长"],
    "community_inspectors": ["社区 李主任"],
    "findings": "适老化改造与智能设备安装到位，服务记录完整",
}


async def accept_through_workflow(
    client: httpx.AsyncClient,
    bed_id: str,
    *,
    provider: dict[str, str],
    officer: dict[str, str],
    on: str,
) -> httpx.Response:
    """001 §四(五): the provider applies, street and community inspect, the officer accepts."""
    bed = (await client.get(f"/v1/beds/{bed_id}", headers=provider)).json()
    body = acceptance_body(bed["contract"]["id"], period_start=bed["established_on"], period_end=on)
    applied = await client.post(f"/v1/beds/{bed_id}/acceptance", json=body, headers=provider)
    assert applied.status_code == 201, applied.text
    inspection = {**JOINT_INSPECTION, "inspected_on": on}
    inspected = await client.post(
        f"/v1/beds/{bed_id}/acceptance/inspection", json=inspection, headers=officer
    )
    assert inspected.status_code == 200, inspected.text
    return await client.post(f"/v1/beds/{bed_id}/accept", json={}, headers=officer)


async def approved_bed(
    client: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    applicant: dict[str, str],
    officer: dict[str, str],
    ability: str = "moderate",
) -> str:
    """Create, submit, assess and approve a Xuancheng application (one district review);
    answers the bed's id (status preparing)."""
    created = await client.post("/v1/applications", json=body, headers=applicant)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    submitted = await client.post(f"/v1/applications/{app_id}/submit", headers=applicant)
    assert submitted.status_code == 200, submitted.text
    assessment = {
        "scale": "ability_4",
        "ability_level": ability,
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
    return str(reviewed.json()["bed_id"])
