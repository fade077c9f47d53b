"""Recipients (phones sealed at rest, masked in answers), provider isolation, on-call
schedules with overrides resolved with the injected clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.principal import Role
from notify.tables import RecipientRow
from notify.testing import Notify, admin, ops, person


async def test_phone_encrypted_at_rest_and_masked(notify: Notify) -> None:
    body = {
        "kind": "duty_manager",
        "display_name": "值班 赵",
        "roles": ["duty_manager"],
        "channels": ["sms"],
        "phone": "13812345678",
    }
    read = await notify.put_recipient("dm-1", body)
    assert read["phone_masked"] == "138****5678"
    assert "13812345678" not in str(read)
    async with notify.app.state.runtime.uow() as uow:
        row = (await uow.session.scalars(select(RecipientRow))).one()
        sealed, index = row.phone_sealed, row.phone_index
    assert sealed is not None
    assert "13812345678" not in sealed
    assert sealed.startswith("v1.k0.")
    assert index is not None
    assert "13812345678" not in index


async def test_bad_input_names_the_field(notify: Notify) -> None:
    cases = [
        ({"kind": "worker", "display_name": "x", "channels": ["sms"]}, "phone"),
        (
            {"kind": "worker", "display_name": "x", "channels": ["in_app"], "phone": "12345"},
            "phone",
        ),
        ({"kind": "worker", "display_name": "x", "channels": ["webhook"]}, "webhook_url"),
        (
            {
                "kind": "officer",
                "display_name": "x",
                "channels": ["in_app"],
                "region_codes": ["330102"],
            },
            "kind",
        ),
        ({"kind": "family", "display_name": "x", "channels": ["in_app"]}, "bed_ids"),
    ]
    for body, field in cases:
        answer = await notify.client.put("/v1/recipients/p-x", json=body, headers=admin())
        assert answer.status_code == 422, (body, answer.text)
        assert field in {e["field"] for e in answer.json()["errors"]}, answer.json()


async def test_another_providers_recipient_is_not_found(notify: Notify) -> None:
    await notify.put_recipient(
        "cg-1", {"kind": "worker", "display_name": "cg", "channels": ["in_app"]}
    )
    other = admin("p2", "admin-2")
    assert (await notify.client.get("/v1/recipients/cg-1", headers=other)).status_code == 404
    taken = await notify.client.put(
        "/v1/recipients/cg-1",
        json={"kind": "worker", "display_name": "x", "channels": ["in_app"]},
        headers=other,
    )
    assert taken.status_code == 404
    assert (await notify.client.get("/v1/recipients", headers=other)).json()["total"] == 0
    assert (
        await notify.client.get("/v1/recipients/cg-1", headers=person("cg-1"))
    ).status_code == 403
    assert (await notify.client.get("/v1/recipients/cg-1", headers=ops())).status_code == 200


async def test_on_call_rotation_and_override(notify: Notify, clock: ManualClock) -> None:
    for person_id in ("dm-a", "dm-b", "dm-c"):
        await notify.put_recipient(
            person_id,
            {
                "kind": "duty_manager",
                "display_name": person_id,
                "roles": ["duty_manager"],
                "channels": ["in_app"],
            },
        )
    start = clock()
    answer = await notify.client.put(
        "/v1/on-call-schedules/duty_manager",
        json={"members": ["dm-a", "dm-b"], "starts_at": start.isoformat(), "shift_hours": 8},
        headers=admin(),
    )
    assert answer.json()["on_call_now"] == "dm-a"
    clock.advance(timedelta(hours=8))
    read = await notify.client.get("/v1/on-call-schedules/duty_manager", headers=person("cg-1"))
    assert read.json()["on_call_now"] == "dm-b"
    override = await notify.client.post(
        "/v1/on-call-schedules/duty_manager/overrides",
        json={
            "person_id": "dm-c",
            "starts_at": clock().isoformat(),
            "ends_at": (clock() + timedelta(hours=2)).isoformat(),
            "reason": "dm-b 请假",
        },
        headers=admin(),
    )
    assert override.status_code == 201, override.text
    assert override.json()["on_call_now"] == "dm-c"
    clock.advance(timedelta(hours=2))
    assert (await notify.client.get("/v1/on-call-schedules/duty_manager", headers=admin())).json()[
        "on_call_now"
    ] == "dm-b"
    stranger = await notify.client.put(
        "/v1/on-call-schedules/duty_manager",
        json={"members": ["dm-x"], "starts_at": start.isoformat(), "shift_hours": 8},
        headers=admin(),
    )
    assert stranger.status_code == 422
    assert stranger.json()["errors"][0]["field"] == "members"
    assert (
        await notify.client.get("/v1/on-call-schedules/duty_manager", headers=admin("p2"))
    ).status_code == 404
    assert (
        await notify.client.get(
            "/v1/on-call-schedules/duty_manager", headers=person("f", Role.FAMILY)
        )
    ).status_code == 403
