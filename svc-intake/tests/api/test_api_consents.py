"""Consent over HTTP (issue 11 item 5): recorded by staff or by the elder/family in the app,
read by officers and the family, required before signing (000 §三(一) "取得老人或申请人同意后签订
服务协议"), before a camera (000 §三(三) "经老年人及其家属同意") and before home modification
(004 §三(二) "经康复对象或家属同意后"); refusing blocks the step with a 409 naming the scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
from fastapi import FastAPI
from sqlalchemy import select

from chassis.principal import Role
from chassis.testing.seeds import quoted_in_seed
from intake.tables import CHASSIS_TABLES
from intake.testing import approved_bed, consent_body

Auth = Callable[..., dict[str, str]]
CONTRACT = {"start": "2026-03-05", "end": "2026-09-04", "base_package_fee_fen": 80000}


async def outbox(app: FastAPI, event_type: str) -> list[dict[str, Any]]:
    table = CHASSIS_TABLES.outbox
    async with app.state.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(table.c.payload).where(table.c.event_type == event_type).order_by(table.c.id)
        )
        return [orjson.loads(r[0]) for r in rows]


def people(auth: Auth) -> dict[str, dict[str, str]]:
    return {
        "family": auth(Role.FAMILY, "family-c"),
        "officer": auth(Role.OFFICER, "officer-xz", regions=("341800",)),
        "admin": auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a"),
        "carer": auth(Role.CAREGIVER, "carer-a", provider_id="prov-a"),
        "admin_b": auth(Role.PROVIDER_ADMIN, "admin-b", provider_id="prov-b"),
        "officer_sh": auth(Role.OFFICER, "officer-cn", regions=("310105",)),
        "ops": auth(Role.OPS, "ops-1"),
    }


async def new_bed(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    birth: str,
) -> str:
    p = people(auth)
    body = new_application(make_id("341802", birth))
    return await approved_bed(client, body, applicant=p["family"], officer=p["officer"])


async def test_refusal_blocks_signing_until_consent_is_given(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("000", "服务机构应取得老人或申请人同意后签订服务协议")  # 000 §三(一)
    p = people(auth)
    bed_id = await new_bed(client, auth, make_id, new_application, "19460501")
    path = f"/v1/beds/{bed_id}/consents"

    refusal = consent_body("service_agreement", decision="refused")
    refused = await client.post(path, json=refusal, headers=p["carer"])
    assert refused.status_code == 201, refused.text
    assert (refused.json()["status"], refused.json()["in_force"]) == ("refused", False)
    assert refused.json()["guards"] == "sign_contract"

    blocked = await client.post(f"/v1/beds/{bed_id}/contract", json=CONTRACT, headers=p["admin"])
    assert blocked.status_code == 409
    problem = blocked.json()
    assert problem["type"] == "urn:homebed:problem:precondition-failed"
    assert problem["action"] == "sign_contract"
    assert problem["missing_consents"] == ["service_agreement"]
    assert problem["problems"] == [
        "needs: consent to service_agreement (001 §四(一)): refused on 2026-03-01"
    ]
    view = (await client.get(f"/v1/beds/{bed_id}", headers=p["admin"])).json()
    blocked_actions = {b["action"]: b["unmet"] for b in view["blocked_actions"]}
    assert blocked_actions["sign_contract"] == problem["problems"]

    # the family gives it in the app a day later: the latest record decides
    electronic = consent_body(
        "service_agreement",
        given_by="applicant",
        method="electronic",
        given_at="2026-03-02T01:00:00Z",
        evidence_ref="app-consent-0001",
    )
    given = await client.post(path, json=electronic, headers=p["family"])
    assert given.status_code == 201, given.text
    assert given.json()["in_force"] is True
    assert given.json()["recorded_role"] == "family"
    signed = await client.post(f"/v1/beds/{bed_id}/contract", json=CONTRACT, headers=p["admin"])
    assert signed.status_code == 201, signed.text

    # officers and the family read the audited history; other tenants see nothing
    for reader in ("officer", "family", "ops"):
        history = await client.get(path, headers=p[reader])
        assert history.status_code == 200
        records = history.json()["items"]
        assert [r["status"] for r in records] == ["granted", "refused"]  # newest first
        assert records[1]["recorded_by"] == "carer-a"
        assert records[1]["citation"] == "001 §四(一)"
    for stranger in ("admin_b", "officer_sh"):
        assert (await client.get(path, headers=p[stranger])).status_code == 404
    assert (await client.post(path, json=refusal, headers=p["officer"])).status_code == 403

    events = await outbox(app, "bed.consent_recorded")
    assert [(e["data"]["decision"], e["data"]["in_force"]) for e in events] == [
        ("refused", False),
        ("granted", True),
    ]
    assert "李强" not in str(events)  # names stay in intake


async def test_a_camera_needs_video_consent_and_its_withdrawal_is_published(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("000", "经老年人及其家属同意，可根据需要联网视频通话并提供紧急援助")
    p = people(auth)
    bed_id = await new_bed(client, auth, make_id, new_application, "19460502")
    install = f"/v1/beds/{bed_id}/installations"
    camera = {"items": [{"item_id": "camera", "count": 1}]}
    refused = await client.put(install, json=camera, headers=p["carer"])
    assert refused.status_code == 409
    assert refused.json()["missing_consents"] == ["video_monitoring"]
    grab_bar = {"items": [{"item_id": "grab_bar", "count": 2}]}
    modification = await client.put(install, json=grab_bar, headers=p["carer"])
    assert modification.json()["missing_consents"] == ["home_modification"]
    # devices that need no consent go in; a camera listed with count 0 needs none either
    plain = {
        "items": [{"item_id": "emergency_button", "count": 1}, {"item_id": "camera", "count": 0}]
    }
    assert (await client.put(install, json=plain, headers=p["carer"])).status_code == 200

    view = (await client.get(f"/v1/beds/{bed_id}", headers=p["carer"])).json()
    assert {"install_camera", "install_modifications"} <= {
        b["action"] for b in view["blocked_actions"]
    }

    oral = consent_body(
        "video_monitoring",
        given_by="elder",
        relation=None,
        method="oral_witnessed",
        evidence_ref=None,
        witness_name="社区网格员 周",
    )
    no_witness = await client.post(
        f"/v1/beds/{bed_id}/consents", json={**oral, "witness_name": None}, headers=p["admin"]
    )
    assert no_witness.status_code == 422
    assert no_witness.json()["errors"][0]["field"] == "body.witness_name"
    given = await client.post(f"/v1/beds/{bed_id}/consents", json=oral, headers=p["admin"])
    assert given.status_code == 201, given.text
    assert (await client.put(install, json=camera, headers=p["carer"])).status_code == 200
    view = (await client.get(f"/v1/beds/{bed_id}", headers=p["carer"])).json()
    assert "install_camera" in view["allowed_actions"]

    consent_id = given.json()["id"]
    withdraw = {"reason": "老人不愿被拍摄", "method": "electronic", "evidence_ref": "app-0002"}
    withdrawn = await client.post(
        f"/v1/beds/{bed_id}/consents/{consent_id}/withdraw", json=withdraw, headers=p["family"]
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_by"] == "family-c"
    again = await client.post(
        f"/v1/beds/{bed_id}/consents/{consent_id}/withdraw", json=withdraw, headers=p["family"]
    )
    assert again.status_code == 409
    (event,) = await outbox(app, "bed.consent_withdrawn")
    assert event["data"]["scope"] == "video_monitoring"
    assert event["data"]["in_force"] is False  # iot-ingest stops the camera
    more = await client.put(
        install, json={"items": [{"item_id": "camera", "count": 2}]}, headers=p["carer"]
    )
    assert more.status_code == 409
    assert "withdrawn on 2026-03-02" in more.json()["problems"][0]


async def test_owners_consent_for_themselves_in_the_app(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    p = people(auth)
    bed_id = await new_bed(client, auth, make_id, new_application, "19460503")
    path = f"/v1/beds/{bed_id}/consents"
    written = await client.post(path, json=consent_body("home_modification"), headers=p["family"])
    assert written.status_code == 422
    assert [e["field"] for e in written.json()["errors"]] == ["body.method"]
    as_elder = consent_body("home_modification", method="electronic")
    wrong_giver = await client.post(path, json=as_elder, headers=p["family"])
    assert wrong_giver.status_code == 201  # the applicant (family account) gives it
    future = consent_body("home_modification", given_at="2026-03-09T00:00:00Z")
    late = await client.post(path, json=future, headers=p["admin"])
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "body.given_at"
    naive = await client.post(
        path,
        json={**consent_body("home_modification"), "given_at": "2026-03-01T10:00:00"},
        headers=p["admin"],
    )
    assert naive.status_code == 422
