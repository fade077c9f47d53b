"""Care plans from the jurisdiction's catalogue with the worker role allowed (002 附件2, 001 附件3),
Xuancheng's minimums (001 §四(三)3 "每日上门服务不少于 1 次，每月累计服务时长不少于 30 小时，每 2 周
医护人员应该至少上门服务 1 次"), and Changning's pilot street settled by the street code (002 §二
"主动申请并实际居住在试点街道")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from chassis.principal import Role
from chassis.testing.seeds import quoted_in_seed
from intake.testing import XUANCHENG_PLAN, approved_bed

Auth = Callable[..., dict[str, str]]


async def test_the_catalogue_is_public_and_names_the_minimums(client: httpx.AsyncClient) -> None:
    answer = await client.get("/v1/care-catalogues/341800")
    assert answer.status_code == 200, answer.text
    catalogue = answer.json()
    assert (catalogue["catalogue"], catalogue["citation"]) == ("001-annex3", "001 附件3")
    rounds = {i["code"]: i for i in catalogue["items"]}["home_rounds"]
    assert (rounds["name"], rounds["roles_allowed"], rounds["delivery"]) == (
        "上门巡诊",
        ["nurse", "doctor"],
        "on_site",
    )
    assert [(m["id"], m["value"]) for m in catalogue["minimums"]] == [
        ("daily_onsite_visits", 1),
        ("monthly_onsite_hours", 30),
        ("medic_every_days", 14),
    ]
    changning = (await client.get("/v1/care-catalogues/310105")).json()
    assert len(changning["items"]) == 54
    assert changning["minimums"] == []
    assert (await client.get("/v1/care-catalogues/110105")).status_code == 404
    assert (await client.get("/v1/care-catalogues/abc")).status_code == 422


async def test_a_plan_outside_the_catalogue_or_below_the_minimums_is_refused(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("001", "每日上门服务不少于 1 次，每月累计服务时长不少于 30 小时")
    officer = auth(Role.OFFICER, "officer-xz", regions=("341800",))
    admin = auth(Role.PROVIDER_ADMIN, "admin-a", provider_id="prov-a")
    body = new_application(make_id("341802", "19460701"))
    bed_id = await approved_bed(client, body, applicant=auth(Role.FAMILY, "f-cp"), officer=officer)
    path = f"/v1/beds/{bed_id}/care-plan"

    bathing = {
        "item_id": "bathing",
        "times": 1,
        "per": "day",
        "minutes_per_visit": 60,
        "worker_role": "caregiver",
    }
    outside = await client.put(path, json={"items": [bathing]}, headers=admin)
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "body.items.0.item_id"  # 沐浴 is Changning's
    wrong_role = {**XUANCHENG_PLAN["items"][0], "worker_role": "caregiver"}
    refused = await client.put(path, json={"items": [wrong_role]}, headers=admin)
    assert refused.json()["errors"][0] == {
        "field": "body.items.0.worker_role",
        "message": "上门巡诊 is delivered by one of: nurse, doctor",
    }
    weekly = {**XUANCHENG_PLAN["items"][0], "per": "week"}
    thin = await client.put(path, json={"items": [weekly]}, headers=admin)
    assert thin.status_code == 422
    messages = [e["message"] for e in thin.json()["errors"]]
    assert messages[0].startswith("minimum unmet: 每日上门服务不少于 1 次 (001 §四(三)3)")
    assert messages[1].startswith("minimum unmet: 每月累计服务时长不少于 30 小时 (001 §四(三)3)")
    assert len(messages) == 2  # a nurse weekly meets "every 2 weeks"
    old_shape = {
        "items": [
            {
                "name": "上门巡诊",
                "category": "health_management",
                "times": 1,
                "per": "day",
                "minutes_per_visit": 60,
            }
        ]
    }
    assert (await client.put(path, json=old_shape, headers=admin)).status_code == 422

    planned = await client.put(path, json=XUANCHENG_PLAN, headers=admin)
    assert planned.status_code == 200, planned.text
    first = planned.json()["care_plan"][0]
    assert (first["name"], first["category"], first["worker_role"], first["catalogue"]) == (
        "上门巡诊",
        "health_management",
        "nurse",
        "001-annex3",
    )


def changning(
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
    region: str,
    birth: str,
    **changes: Any,
) -> dict[str, Any]:
    return new_application(
        make_id("310105", birth),
        jurisdiction="310105",
        hukou_address={"region_code": "310105", "detail": "愚园路 1 弄 2 号"},
        current_address={"region_code": region, "detail": "愚园路 1 弄 2 号"},
        economic_status="other",
        **changes,
    )


async def test_changnings_pilot_street_comes_from_the_street_code(
    client: httpx.AsyncClient,
    auth: Auth,
    make_id: Callable[..., str],
    new_application: Callable[..., dict[str, Any]],
) -> None:
    assert quoted_in_seed("002", "主动申请并实际居住在试点街道")
    family = auth(Role.FAMILY, "family-cn")
    # 新华路街道 (310105003) is no pilot street: a "yes" contradicts the code
    contradicted = changning(make_id, new_application, "310105003", "19440101", in_pilot_area=True)
    refused = await client.post("/v1/applications", json=contradicted, headers=family)
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert fields == ["body.in_pilot_area", "body.current_address.region_code"]
    assert "江苏路街道 310105002" in refused.json()["errors"][0]["message"]

    declared_yes = changning(
        make_id, new_application, "310105006001", "19440102", in_pilot_area=True
    )
    created = await client.post("/v1/applications", json=declared_yes, headers=family)
    assert created.status_code == 201, created.text
    app = created.json()
    assert (app["in_pilot_area"], app["in_pilot_area_source"]) == (True, "street_code")
    undeclared = changning(make_id, new_application, "310105002", "19440103", in_pilot_area=None)
    derived = await client.post("/v1/applications", json=undeclared, headers=family)
    assert (derived.json()["in_pilot_area"], derived.json()["in_pilot_area_source"]) == (
        True,
        "street_code",
    )

    # moving to 新华路街道 settles it to no; a stale "yes" on file gives way to the code
    app_id = app["id"]
    moved = await client.patch(
        f"/v1/applications/{app_id}",
        json={"current_address": {"region_code": "310105003", "detail": "新华路 9 号"}},
        headers=family,
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["in_pilot_area"], moved.json()["in_pilot_area_source"]) == (
        False,
        "street_code",
    )
    said_yes = await client.patch(
        f"/v1/applications/{app_id}", json={"in_pilot_area": True}, headers=family
    )
    assert said_yes.status_code == 422
    assert said_yes.json()["errors"][0]["field"] == "body.in_pilot_area"

    # without a street code, the declaration is the fallback
    no_code = await client.patch(
        f"/v1/applications/{app_id}",
        json={
            "current_address": {"region_code": "310105", "detail": "某路 1 号"},
            "in_pilot_area": True,
        },
        headers=family,
    )
    assert no_code.status_code == 200, no_code.text
    assert (no_code.json()["in_pilot_area"], no_code.json()["in_pilot_area_source"]) == (
        True,
        "declared",
    )
