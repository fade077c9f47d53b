"""PIPL: no plaintext ID or phone number at rest, masked in reads, full reads audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, text

from chassis.principal import Role
from intake.tables import Base, PiiAccessRow

Auth = Callable[..., dict[str, str]]


async def all_text_in_database(app: FastAPI) -> str:
    """Every cell of every table (outbox payloads included), as one string."""
    chunks: list[str] = []
    async with app.state.runtime.uow() as uow:
        for table in Base.metadata.sorted_tables:
            rows = await uow.session.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
            for row in rows:
                for cell in row:
                    chunks.append(
                        cell.decode(errors="replace") if isinstance(cell, bytes) else str(cell)
                    )
    return "\n".join(chunks)


async def test_database_holds_no_plaintext_id_or_phone(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19460501"))
    family = auth(Role.FAMILY, "family-1")
    created = await client.post("/v1/applications", json=body, headers=family)
    app_id = created.json()["id"]
    assert (
        await client.post(f"/v1/applications/{app_id}/submit", headers=family)
    ).status_code == 200
    dump = await all_text_in_database(app)
    assert "张桂英" in dump  # the scan does see the rows
    secrets = [body["id_number"], body["social_security_no"], "13800138000", "13900139001"]
    for secret in secrets:
        assert secret not in dump
    assert body["id_number"][:14] not in dump  # nor the region + birth-date prefix


async def test_reads_are_masked(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19460501"))
    created = (
        await client.post("/v1/applications", json=body, headers=auth(Role.FAMILY, "f"))
    ).json()
    assert created["id_number_masked"] == "*" * 14 + body["id_number"][-4:]
    assert created["caregiver_phone_masked"] == "*******8000"
    assert "phone" not in created["form"]["caregiver"]
    assert "social_security_no" not in created["form"]
    listed = await client.get("/v1/applications", headers=auth(Role.OPS, "ops"))
    assert listed.json()["items"][0]["id_number_masked"].endswith(body["id_number"][-4:])
    assert body["id_number"] not in listed.text


async def test_full_read_is_audited_and_restricted(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    body = new_application(make_id("341802", "19460501"))
    app_id = (
        await client.post("/v1/applications", json=body, headers=auth(Role.FAMILY, "f"))
    ).json()["id"]
    request = {"field": "id_number", "purpose": "identity_verification"}
    officer = auth(Role.OFFICER, "officer-1", regions=("341802",))
    revealed = await client.post(f"/v1/applications/{app_id}/reveal", json=request, headers=officer)
    assert revealed.status_code == 200
    assert revealed.json()["value"] == body["id_number"]
    assert revealed.headers["cache-control"] == "no-store"
    phone = await client.post(
        f"/v1/applications/{app_id}/reveal",
        json={"field": "caregiver_phone", "purpose": "emergency_contact"},
        headers=auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a"),
    )
    assert phone.json()["value"] == "13800138000"
    owner = await client.post(
        f"/v1/applications/{app_id}/reveal", json=request, headers=auth(Role.FAMILY, "f")
    )
    assert owner.status_code == 403
    other_region = auth(Role.OFFICER, "officer-2", regions=("330100",))
    assert (
        await client.post(f"/v1/applications/{app_id}/reveal", json=request, headers=other_region)
    ).status_code == 404
    no_purpose = await client.post(
        f"/v1/applications/{app_id}/reveal", json={"field": "id_number"}, headers=officer
    )
    assert no_purpose.status_code == 422

    async with app.state.runtime.uow() as uow:
        audit = (await uow.session.scalars(select(PiiAccessRow).order_by(PiiAccessRow.id))).all()
        trail = [(a.actor_sub, a.actor_role, a.field, a.purpose, a.application_id) for a in audit]
    assert trail == [
        ("officer-1", "officer", "id_number", "identity_verification", app_id),
        ("admin-a", "provider_admin", "caregiver_phone", "emergency_contact", app_id),
    ]


async def test_logs_never_carry_the_numbers(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    caplog: Any,
) -> None:
    caplog.set_level("DEBUG")
    number = make_id("341802", "19460501")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    family = auth(Role.FAMILY, "f")
    refused = await client.post("/v1/applications", json=new_application(wrong), headers=family)
    assert refused.status_code == 422
    created = await client.post("/v1/applications", json=new_application(number), headers=family)
    assert created.status_code == 201
    duplicate = await client.post("/v1/applications", json=new_application(number), headers=family)
    assert duplicate.status_code == 409
    assert caplog.records  # requests were logged
    for secret in (number, wrong, "13800138000"):
        assert secret not in caplog.text


async def test_purposes_come_from_a_fixed_list_and_the_audit_is_readable(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    family = auth(Role.FAMILY, "f")
    created = await client.post(
        "/v1/applications", json=new_application(make_id("341802", "19460502")), headers=family
    )
    app_id, elder_id = created.json()["id"], created.json()["elder_id"]
    officer = auth(Role.OFFICER, "officer-1", regions=("341802",))
    reveal = f"/v1/applications/{app_id}/reveal"
    vague = await client.post(
        reveal, json={"field": "id_number", "purpose": "abcd"}, headers=officer
    )
    assert vague.status_code == 422
    assert [e["field"] for e in vague.json()["errors"]] == ["body.purpose"]
    request = {"field": "id_number", "purpose": "subsidy_settlement"}
    assert (await client.post(reveal, json=request, headers=officer)).status_code == 200

    audit = f"/v1/elders/{elder_id}/pii-audit"
    for reader in (officer, family):
        trail = await client.get(audit, headers=reader)
        assert trail.status_code == 200, trail.text
        [entry] = trail.json()["items"]
        assert (entry["field"], entry["purpose"], entry["actor_sub"]) == (
            "id_number",
            "subsidy_settlement",
            "officer-1",
        )
    strangers = (
        auth(Role.FAMILY, "someone-else"),
        auth(Role.OFFICER, "officer-hz", regions=("330102",)),
        auth(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b"),
    )
    for stranger in strangers:
        assert (await client.get(audit, headers=stranger)).status_code == 404
    staff = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    assert (await client.get(audit, headers=staff)).status_code == 403
