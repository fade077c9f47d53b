"""Tenancy over HTTP: another tenant's object answers 404, visible-but-not-allowed 403,
lists show only what the caller may see, and pages are capped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from chassis.principal import Role

Auth = Callable[..., dict[str, str]]


@pytest.fixture
async def two_applications(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> tuple[str, str]:
    """One online application of family-1 (provider A, Xuancheng) and one offline application
    keyed in by provider B's admin for an elder of Hangzhou's Shangcheng district."""
    mine = new_application(make_id("341802", "19460501"))
    first = await client.post("/v1/applications", json=mine, headers=auth(Role.FAMILY, "family-1"))
    assert first.status_code == 201, first.text
    theirs = new_application(
        make_id("330102", "19400909"),
        jurisdiction="330102",
        provider_id=None,
        hukou_address={"region_code": "330102", "detail": "清波街道 河坊街 1 号"},
        current_address={"region_code": "330102", "detail": "清波街道 河坊街 1 号"},
    )
    staff = auth(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b")
    second = await client.post("/v1/applications", json=theirs, headers=staff)
    assert second.status_code == 201, second.text
    assert second.json()["channel"] == "offline"
    assert second.json()["entered_by"] == "admin-b"
    assert second.json()["provider_id"] == "prov-b"
    return first.json()["id"], second.json()["id"]


@pytest.mark.parametrize(
    ("who", "sees_first", "sees_second"),
    [
        ({"role": Role.FAMILY, "sub": "family-1"}, True, False),
        ({"role": Role.FAMILY, "sub": "family-2"}, False, False),
        ({"role": Role.ELDER, "sub": "admin-b"}, False, False),  # same sub, different role
        ({"role": Role.PROVIDER_ADMIN, "sub": "admin-a", "provider_id": "prov-a"}, True, False),
        ({"role": Role.CAREGIVER, "sub": "cg-b", "provider_id": "prov-b"}, False, True),
        ({"role": Role.PROVIDER_ADMIN, "sub": "admin-x"}, False, False),  # no provider claim
        ({"role": Role.OFFICER, "sub": "o-xc", "regions": ("341800",)}, True, False),
        ({"role": Role.OFFICER, "sub": "o-hz", "regions": ("330100",)}, False, True),
        ({"role": Role.OFFICER, "sub": "o-sh", "regions": ("310105",)}, False, False),
        ({"role": Role.HOSPITAL, "sub": "h-1"}, False, False),
        ({"role": Role.OPS, "sub": "ops-1"}, True, True),
    ],
)
async def test_visibility_by_role(
    client: httpx.AsyncClient,
    auth: Auth,
    two_applications: tuple[str, str],
    who: dict[str, Any],
    sees_first: bool,
    sees_second: bool,
) -> None:
    headers = auth(
        who["role"], who["sub"], provider_id=who.get("provider_id"), regions=who.get("regions", ())
    )
    first, second = two_applications
    for app_id, visible in ((first, sees_first), (second, sees_second)):
        response = await client.get(f"/v1/applications/{app_id}", headers=headers)
        assert response.status_code == (200 if visible else 404), (who, app_id)
    listed = await client.get("/v1/applications", headers=headers)
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.json()["items"]}
    assert ids == {i for i, v in ((first, sees_first), (second, sees_second)) if v}
    assert listed.json()["total"] == len(ids)


async def test_missing_and_foreign_answer_alike(
    client: httpx.AsyncClient, auth: Auth, two_applications: tuple[str, str]
) -> None:
    stranger = auth(Role.FAMILY, "family-2")
    foreign = await client.get(f"/v1/applications/{two_applications[0]}", headers=stranger)
    missing = await client.get("/v1/applications/does-not-exist", headers=stranger)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == missing.json()["detail"]
    submit = await client.post(f"/v1/applications/{two_applications[0]}/submit", headers=stranger)
    assert submit.status_code == 404


async def test_visible_but_not_allowed_is_403(
    client: httpx.AsyncClient, auth: Auth, two_applications: tuple[str, str]
) -> None:
    first = two_applications[0]
    owner = auth(Role.FAMILY, "family-1")
    assert (await client.post(f"/v1/applications/{first}/submit", headers=owner)).status_code == 200
    body = {
        "scale": "ability_4",
        "ability_level": "severe",
        "assessor": "x",
        "assessed_on": "2026-03-01",
    }
    denied = await client.post(f"/v1/applications/{first}/assessment", json=body, headers=owner)
    assert denied.status_code == 403
    assert denied.json()["type"] == "urn:homebed:problem:forbidden"
    assert denied.json()["required_roles"] == ["officer"]
    ops = auth(Role.OPS, "ops-1")
    assert (await client.post(f"/v1/applications/{first}/withdraw", headers=ops)).status_code == 403


async def test_officer_cannot_key_in_outside_region(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19470101"))
    elsewhere = auth(Role.OFFICER, "o-hz", regions=("330100",))
    assert (await client.post("/v1/applications", json=body, headers=elsewhere)).status_code == 403
    local = auth(Role.OFFICER, "o-xc", regions=("341802",))
    created = await client.post("/v1/applications", json=body, headers=local)
    assert created.status_code == 201
    assert created.json()["channel"] == "offline"


async def test_filters_and_page_cap(
    client: httpx.AsyncClient, auth: Auth, two_applications: tuple[str, str]
) -> None:
    ops = auth(Role.OPS, "ops-1")
    by_region = await client.get("/v1/applications", params={"region_code": "3301"}, headers=ops)
    assert [i["id"] for i in by_region.json()["items"]] == [two_applications[1]]
    by_provider = await client.get(
        "/v1/applications", params={"provider_id": "prov-a"}, headers=ops
    )
    assert [i["id"] for i in by_provider.json()["items"]] == [two_applications[0]]
    by_status = await client.get("/v1/applications", params={"status": "submitted"}, headers=ops)
    assert by_status.json()["items"] == []
    paged = await client.get("/v1/applications", params={"limit": 1, "offset": 1}, headers=ops)
    assert (len(paged.json()["items"]), paged.json()["total"]) == (1, 2)
    too_big = await client.get("/v1/applications", params={"limit": 101}, headers=ops)
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "query.limit"


async def test_no_principal_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/applications")).status_code == 401
    assert (await client.get("/v1/beds")).status_code == 401
