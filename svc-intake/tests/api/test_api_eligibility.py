"""The public policy calculator over HTTP: the issue's exact body, ID-number ages, 4xx cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from chassis.principal import Role

ISSUE_BODY: dict[str, Any] = {
    "jurisdiction": "341800",
    "as_of": "2026-12-01",
    "birth_date": "1946-05-01",
    "id_number": None,
    "hukou_local": True,
    "resides_locally": True,
    "in_pilot_area": True,
    "ability_level": "moderate",
    "care_needs_level": None,
    "has_stable_caregiver": True,
    "is_renter": False,
    "economic_status": "other",
}


async def test_issue_body_needs_no_login(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/eligibility/check", json=ISSUE_BODY)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"eligible", "priority", "unmet", "rules", "age"}
    assert (body["eligible"], body["priority"], body["unmet"], body["age"]) == (True, False, [], 80)
    assert {r["id"]: r["citation"] for r in body["rules"]}["age-and-ability"] == "001 §四(一)"
    assert all(set(r) == {"id", "passed", "citation", "reason", "basis"} for r in body["rules"])


async def test_age_from_the_id_number(
    client: httpx.AsyncClient, make_id: Callable[..., str]
) -> None:
    body = {**ISSUE_BODY, "birth_date": None, "id_number": make_id("330102", "19661201")}
    body.update(jurisdiction="330102", ability_level="moderate")
    response = await client.post("/v1/eligibility/check", json=body)
    assert response.status_code == 200
    assert response.json()["age"] == 60
    assert response.json()["eligible"] is True


async def test_declared_birth_date_contradicting_the_id_names_both(
    client: httpx.AsyncClient, make_id: Callable[..., str]
) -> None:
    number = make_id("341802", "19460502")
    response = await client.post("/v1/eligibility/check", json={**ISSUE_BODY, "id_number": number})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"body.birth_date", "body.id_number"}
    assert number not in response.text


async def test_invalid_id_is_422_without_echo(
    client: httpx.AsyncClient, make_id: Callable[..., str]
) -> None:
    number = make_id("330102", "19460501")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    body = {**ISSUE_BODY, "birth_date": None, "id_number": wrong}
    response = await client.post("/v1/eligibility/check", json=body)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body.id_number", "message": "check digit does not match (ISO 7064 MOD 11-2)"}
    ]
    assert wrong not in response.text


async def test_unknown_jurisdiction_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/eligibility/check", json={**ISSUE_BODY, "jurisdiction": "110105"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.jurisdiction"
    assert "341800" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ability_level": "bedridden"}, "body.ability_level"),
        ({"care_needs_level": 7}, "body.care_needs_level"),
        ({"economic_status": "poor"}, "body.economic_status"),
        ({"unexpected": 1}, "body.unexpected"),
    ],
)
async def test_bad_fields_are_named(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post("/v1/eligibility/check", json={**ISSUE_BODY, **change})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_missing_facts_fail_their_rules_with_reasons(client: httpx.AsyncClient) -> None:
    body = {k: v for k, v in ISSUE_BODY.items() if k in ("jurisdiction", "as_of")}
    response = await client.post("/v1/eligibility/check", json=body)
    assert response.status_code == 200
    result = response.json()
    assert result["eligible"] is False
    assert result["age"] is None
    reasons = {r["id"]: r["reason"] for r in result["rules"]}
    assert reasons["stable-caregiver"] == "missing fact: has_stable_caregiver"
    assert "birth_date (or id_number)" in reasons["age-and-ability"]


async def test_an_application_waiting_for_its_assessment_is_pending_not_ineligible(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    family = auth(Role.FAMILY, "family-1")
    body = new_application(make_id("341802", "19560303"))  # 69: needs the assessment
    created = await client.post("/v1/applications", json=body, headers=family)
    assert (created.json()["eligible"], created.json()["eligibility_status"]) == (None, None)
    app_id = created.json()["id"]
    submitted = (await client.post(f"/v1/applications/{app_id}/submit", headers=family)).json()
    assert submitted["eligible"] is None
    assert submitted["eligibility_status"] == "pending"
    assert (submitted["pending"], submitted["unmet"]) == (["age-and-ability"], [])

    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    mild = {
        "scale": "ability_4",
        "ability_level": "mild",
        "assessor": "a",
        "assessed_on": "2026-03-01",
    }
    assessed = await client.post(
        f"/v1/applications/{app_id}/assessment", json=mild, headers=officer
    )
    decided = assessed.json()
    assert (decided["eligible"], decided["eligibility_status"]) == (False, "ineligible")
    assert (decided["unmet"], decided["pending"]) == (["age-and-ability"], [])
