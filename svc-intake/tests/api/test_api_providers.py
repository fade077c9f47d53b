"""Providers are real objects: a public register applicants choose from, managed by officers,
prices filed by provider admins, validated wherever a provider id is given; no dead end when an
application has no provider yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from chassis.principal import Role

Auth = Callable[..., dict[str, str]]


async def test_the_register_is_public_and_filterable(client: httpx.AsyncClient) -> None:
    listed = await client.get("/v1/providers", params={"jurisdiction": "341800"})
    assert listed.status_code == 200, listed.text
    providers = {p["id"]: p for p in listed.json()["items"]}
    assert set(providers) == {"prov-a", "prov-b"}
    package = providers["prov-a"]["packages"][0]
    assert set(package) == {"code", "name", "monthly_fee_fen", "filing_ref", "filed_on"}
    assert providers["prov-a"]["service_area"][0] == "341800"
    elsewhere = await client.get("/v1/providers", params={"jurisdiction": "330102"})
    assert elsewhere.json()["total"] == 0
    one = await client.get("/v1/providers/prov-a")
    assert one.json()["licence_no"] == "LIC-prov-a"
    assert (await client.get("/v1/providers/P-ANY")).status_code == 404
    bogus = await client.get("/v1/providers", params={"region": "3418"})
    assert [e["field"] for e in bogus.json()["errors"]] == ["query.region"]


async def test_officers_register_and_suspend_admins_file_their_prices(
    client: httpx.AsyncClient, auth: Auth, new_provider: Callable[..., dict[str, Any]]
) -> None:
    body = new_provider("prov-c")
    assert (await client.post("/v1/providers", json=body)).status_code == 401
    family = auth(Role.FAMILY, "family-1")
    assert (await client.post("/v1/providers", json=body, headers=family)).status_code == 403
    hangzhou = auth(Role.OFFICER, "officer-hz", regions=("330102",))
    assert (await client.post("/v1/providers", json=body, headers=hangzhou)).status_code == 403
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    created = await client.post("/v1/providers", json=body, headers=officer)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
    again = await client.post("/v1/providers", json=body, headers=officer)
    assert again.status_code == 409

    own = auth(Role.PROVIDER_ADMIN, "admin-c", provider_id="prov-c")
    prices = {
        "contact": {"name": "新服务台", "phone": "0563-7654321"},
        "packages": [
            {
                "code": "base",
                "name": "基础包",
                "monthly_fee_fen": 60_000,
                "filing_ref": "宣民备〔2026〕60号",
                "filed_on": "2026-02-01",
            }
        ],
    }
    updated = await client.patch("/v1/providers/prov-c", json=prices, headers=own)
    assert updated.status_code == 200, updated.text
    assert [p["monthly_fee_fen"] for p in updated.json()["packages"]] == [60_000]
    other = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    assert (
        await client.patch("/v1/providers/prov-c", json=prices, headers=other)
    ).status_code == 403
    area = await client.patch(
        "/v1/providers/prov-c", json={"service_area": ["341802"]}, headers=own
    )
    assert area.status_code == 403

    suspended = await client.post(
        "/v1/providers/prov-c/suspend", json={"reason": "年检未通过"}, headers=officer
    )
    assert (suspended.json()["status"], suspended.json()["status_reason"]) == (
        "suspended",
        "年检未通过",
    )
    listed = (await client.get("/v1/providers", params={"jurisdiction": "341800"})).json()
    assert "prov-c" not in {p["id"] for p in listed["items"]}
    reactivated = await client.post("/v1/providers/prov-c/reactivate", headers=officer)
    assert reactivated.json()["status"] == "active"


async def test_a_provider_that_exists_nowhere_is_refused(
    client: httpx.AsyncClient,
    auth: Auth,
    new_provider: Callable[..., dict[str, Any]],
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19400404"), provider_id="P-ANY")
    refused = await client.post("/v1/applications", json=body, headers=auth(Role.FAMILY, "f-1"))
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "body.provider_id"
    assert "not registered" in error["message"]
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    narrow = new_provider("prov-jx", licence_no="LIC-jx", service_area=["341821"])
    assert (await client.post("/v1/providers", json=narrow, headers=officer)).status_code == 201
    staff = auth(Role.PROVIDER_ADMIN, "admin-jx", provider_id="prov-jx")
    far = await client.post("/v1/applications", json={**body, "provider_id": None}, headers=staff)
    assert far.status_code == 422
    assert "does not serve region 341802" in far.json()["errors"][0]["message"]


async def test_no_dead_end_without_a_provider(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    submit_assess: Callable[..., Awaitable[httpx.Response]],
    consents: Callable[..., Awaitable[None]],
) -> None:
    family = auth(Role.FAMILY, "family-1")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    body = new_application(make_id("341802", "19400505"), provider_id=None)
    app_id = (await client.post("/v1/applications", json=body, headers=family)).json()["id"]
    await submit_assess(client, app_id, applicant=family, officer=officer)
    review = {"level": "district"}
    blocked = await client.post(f"/v1/applications/{app_id}/review", json=review, headers=officer)
    assert blocked.status_code == 409
    assert blocked.json()["problems"] == ["needs: a provider is chosen (provider_id)"]

    path = f"/v1/applications/{app_id}/provider"
    unknown = await client.put(path, json={"provider_id": "P-ANY"}, headers=family)
    assert unknown.status_code == 422
    staff = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    assert (
        await client.put(path, json={"provider_id": "prov-a"}, headers=staff)
    ).status_code == 404
    chosen = await client.put(path, json={"provider_id": "prov-b"}, headers=family)
    assert chosen.json()["provider_id"] == "prov-b", chosen.text

    # the provider is suspended meanwhile: approval names it, the officer changes the choice
    await client.post("/v1/providers/prov-b/suspend", json={"reason": "整改"}, headers=officer)
    stale = await client.post(f"/v1/applications/{app_id}/review", json=review, headers=officer)
    assert stale.status_code == 409
    assert "the provider is suspended" in stale.json()["problems"][0]
    changed = await client.put(path, json={"provider_id": "prov-a"}, headers=officer)
    assert changed.status_code == 200, changed.text
    approved = await client.post(f"/v1/applications/{app_id}/review", json=review, headers=officer)
    assert approved.json()["status"] == "approved", approved.text
    bed_id = approved.json()["bed_id"]
    bed = await client.get(f"/v1/beds/{bed_id}", headers=staff)
    assert bed.json()["provider_id"] == "prov-a"
    late = await client.put(path, json={"provider_id": "prov-b"}, headers=family)
    assert late.status_code == 409

    await consents(client, bed_id, staff, ("service_agreement",))
    contract = {"start": "2026-03-02", "end": "2026-09-01", "base_package_fee_fen": 85_000}
    unfiled = await client.post(f"/v1/beds/{bed_id}/contract", json=contract, headers=staff)
    assert unfiled.status_code == 422
    assert unfiled.json()["errors"][0]["field"] == "body.base_package_fee_fen"
    wrong_code = {**contract, "base_package_fee_fen": 80_000, "package_code": "base-1000"}
    mismatch = await client.post(f"/v1/beds/{bed_id}/contract", json=wrong_code, headers=staff)
    assert mismatch.json()["errors"][0]["field"] == "body.package_code"
    await client.post("/v1/providers/prov-a/suspend", json={"reason": "整改"}, headers=officer)
    filed = {**contract, "base_package_fee_fen": 80_000, "package_code": "base-800"}
    closed = await client.post(f"/v1/beds/{bed_id}/contract", json=filed, headers=staff)
    assert closed.status_code == 409
    await client.post("/v1/providers/prov-a/reactivate", headers=officer)
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=filed, headers=staff)
    assert signed.status_code == 201, signed.text
