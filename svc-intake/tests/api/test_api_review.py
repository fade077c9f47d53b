"""Review levels over HTTP (Changning: street, then district), rejection, withdrawal, and the
409 answers that carry the allowed next steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from chassis.principal import Role

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def changning_body(
    make_id: Callable[..., str], new_application: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    return new_application(
        make_id("310105", "19440229"),
        jurisdiction="310105",
        hukou_address={"region_code": "310105", "detail": "江苏路街道 愚园路 1 弄 2 号"},
        current_address={"region_code": "310105002", "detail": "江苏路街道 愚园路 1 弄 2 号"},
        is_renter=True,  # no renter rule in Changning
        economic_status="other",
    )


async def submitted(client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]) -> str:
    family = auth(Role.FAMILY, "family-cn")
    app_id = (await client.post("/v1/applications", json=body, headers=family)).json()["id"]
    assert (
        await client.post(f"/v1/applications/{app_id}/submit", headers=family)
    ).status_code == 200
    return str(app_id)


async def test_street_then_district(
    client: httpx.AsyncClient,
    auth: Auth,
    changning_body: dict[str, Any],
    consents: Callable[..., Awaitable[None]],
) -> None:
    app_id = await submitted(client, auth, changning_body)
    street = auth(Role.OFFICER, "street-officer", regions=("310105002",))
    district = auth(Role.OFFICER, "district-officer", regions=("310105",))
    wrong_scale = {
        "scale": "ability_4",
        "ability_level": "severe",
        "assessor": "a",
        "assessed_on": "2026-03-01",
    }
    refused = await client.post(
        f"/v1/applications/{app_id}/assessment", json=wrong_scale, headers=street
    )
    assert refused.status_code == 409
    assert "care_needs_0_6" in refused.json()["problems"][0]
    assessment = {
        "scale": "care_needs_0_6",
        "care_needs_level": 4,
        "assessor": "a",
        "assessed_on": "2026-03-01",
    }
    assessed = await client.post(
        f"/v1/applications/{app_id}/assessment", json=assessment, headers=street
    )
    assert assessed.json()["eligible"] is True

    district_first = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=district
    )
    assert district_first.status_code == 409
    assert district_first.json()["problems"] == ["the street review comes next"]
    first = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "street"}, headers=street
    )
    assert first.json()["status"] == "reviewing"
    assert first.json()["bed_id"] is None
    same_officer = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=street
    )
    assert same_officer.status_code == 409
    final = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "district"}, headers=district
    )
    assert final.json()["status"] == "approved"
    assert [r["level"] for r in final.json()["reviews"]] == ["street", "district"]

    bed_id = final.json()["bed_id"]
    guidance = (await client.get(f"/v1/beds/{bed_id}/guidance", headers=district)).json()
    assert (guidance["base_package_min_fen"], guidance["base_package_max_fen"]) == (50000, 100000)
    provider = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    await consents(client, bed_id, provider, ("service_agreement",))
    over = {"start": "2026-03-02", "end": "2026-04-01", "base_package_fee_fen": 100001}
    too_much = await client.post(f"/v1/beds/{bed_id}/contract", json=over, headers=provider)
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "body.base_package_fee_fen"
    bed_fee = {**over, "base_package_fee_fen": 100000, "bed_fee_fen": 500}
    refused_fee = await client.post(f"/v1/beds/{bed_id}/contract", json=bed_fee, headers=provider)
    assert refused_fee.json()["errors"][0]["field"] == "body.bed_fee_fen"


async def test_ineligible_cannot_be_approved_and_can_be_rejected(
    client: httpx.AsyncClient, auth: Auth, changning_body: dict[str, Any]
) -> None:
    app_id = await submitted(client, auth, changning_body)
    officer = auth(Role.OFFICER, "o1", regions=("310105",))
    low = {
        "scale": "care_needs_0_6",
        "care_needs_level": 3,
        "assessor": "a",
        "assessed_on": "2026-03-01",
    }
    assessed = await client.post(f"/v1/applications/{app_id}/assessment", json=low, headers=officer)
    assert assessed.json()["unmet"] == ["care-needs-level"]
    approve = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "street"}, headers=officer
    )
    assert approve.status_code == 409
    assert approve.json()["problems"] == ["eligibility rules unmet: care-needs-level"]
    rejected = await client.post(
        f"/v1/applications/{app_id}/reject", json={"reason": "需求评估未达四级"}, headers=officer
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["allowed_actions"] == []
    again = await client.post(
        f"/v1/applications/{app_id}/withdraw", headers=auth(Role.FAMILY, "family-cn")
    )
    assert again.status_code == 409
    assert again.json()["state"] == "rejected"
    assert again.json()["allowed_actions"] == []
    # the elder may apply again once the earlier application has ended
    retry = await client.post(
        "/v1/applications", json=changning_body, headers=auth(Role.FAMILY, "family-cn")
    )
    assert retry.status_code == 201


async def test_illegal_step_lists_the_allowed_ones(
    client: httpx.AsyncClient, auth: Auth, changning_body: dict[str, Any]
) -> None:
    family = auth(Role.FAMILY, "family-cn")
    app_id = (await client.post("/v1/applications", json=changning_body, headers=family)).json()[
        "id"
    ]
    officer = auth(Role.OFFICER, "o1", regions=("310105",))
    response = await client.post(
        f"/v1/applications/{app_id}/review", json={"level": "street"}, headers=officer
    )
    assert response.status_code == 409
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["type"] == "urn:homebed:problem:illegal-transition"
    assert (body["status"], body["title"]) == (409, "Illegal transition")
    assert (body["state"], body["action"]) == ("draft", "approve")
    assert body["allowed_actions"] == ["update", "choose_provider", "submit", "withdraw"]
    patched = await client.patch(
        f"/v1/applications/{app_id}", json={"has_stable_caregiver": False}, headers=family
    )
    assert patched.json()["has_stable_caregiver"] is False
    assert (await client.post(f"/v1/applications/{app_id}/withdraw", headers=family)).json()[
        "status"
    ] == "withdrawn"
