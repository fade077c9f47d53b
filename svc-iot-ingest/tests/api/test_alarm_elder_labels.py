"""Alarms show the caregiver whom and where (issue 10 item 15): the elder's masked name and
address, kept from intake's bed events (no call to intake on the alarm path), on the alarm list,
the detail and the assignee's own list, beside the device's location label."""

from datetime import UTC, datetime, timedelta

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.consumers import handle_bed_event
from iot_ingest.testing import Iot, bed_envelope, now_iso


def nurse() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s."""
    return principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")


def carer() -> dict[str, str]:
    return principal_headers(Role.CAREGIVER, "carer-7", provider_id="p1")


NAME, ADDRESS = "张**", "鳌峰街道 梅园路 * 号 *** 室"


async def _bed_event(iot: Iot, bed_id: str, kind: str, at: datetime, **masked: str) -> None:
    envelope = bed_envelope(bed_id, "p1", kind, at=at)
    envelope = envelope.model_copy(update={"data": {**envelope.data, **masked}})
    async with iot.runtime.uow() as uow:
        await handle_bed_event(uow, envelope)
        await uow.commit()


async def test_alarm_views_show_the_masked_elder_and_the_device_location(iot: Iot) -> None:
    t0 = datetime.now(UTC) - timedelta(minutes=5)
    bed_id = "bed-masked"
    await _bed_event(iot, bed_id, "established", t0, elder_name_masked=NAME, address_masked=ADDRESS)
    registered = await iot.client.post(
        "/v1/devices",
        json={
            "bed_id": bed_id,
            "device_type": "fall_detector",
            "serial": "FD-1",
            "location_label": "卫生间",
        },
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    token = registered.json()["token"]
    raised = await iot.client.post(
        "/v1/device-events",
        json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {token}"},
    )
    alarm_id = raised.json()["alarm_id"]

    def shown(alarm: dict) -> tuple:
        return (
            alarm["elder_name_masked"],
            alarm["address_masked"],
            alarm["device_location_label"],
        )

    listed = await iot.client.get("/v1/alarms", headers=nurse())
    assert [shown(a) for a in listed.json()["items"]] == [(NAME, ADDRESS, "卫生间")]
    detail = await iot.client.get(f"/v1/alarms/{alarm_id}", headers=nurse())
    assert shown(detail.json()) == (NAME, ADDRESS, "卫生间")

    await iot.add_worker("carer-7")
    await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=nurse())
    dispatched = await iot.client.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "carer-7"}, headers=nurse()
    )
    assert shown(dispatched.json()) == (NAME, ADDRESS, "卫生间")
    mine = await iot.client.get("/v1/alarms?assignee=me", headers=carer())
    assert [shown(a) for a in mine.json()["items"]] == [(NAME, ADDRESS, "卫生间")]

    # a later bed event without the fields (an older producer) keeps what intake told us
    await _bed_event(iot, bed_id, "suspended", t0 + timedelta(minutes=1))
    detail = await iot.client.get(f"/v1/alarms/{alarm_id}", headers=nurse())
    assert shown(detail.json()) == (NAME, ADDRESS, "卫生间")
    # a newer one that carries them replaces them
    await _bed_event(
        iot, bed_id, "resumed", t0 + timedelta(minutes=2), elder_name_masked="李*",
        address_masked="天山路 ** 号",
    )  # fmt: skip
    detail = await iot.client.get(f"/v1/alarms/{alarm_id}", headers=nurse())
    assert shown(detail.json()) == ("李*", "天山路 ** 号", "卫生间")


async def test_a_bed_intake_has_not_described_yet_shows_nulls(iot: Iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "emergency_button")
    await iot.client.post(
        "/v1/device-events",
        json={"seq": 1, "ts": now_iso(), "kind": "sos_pressed"},
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    [alarm] = (await iot.client.get("/v1/alarms", headers=nurse())).json()["items"]
    assert (alarm["elder_name_masked"], alarm["address_masked"]) == (None, None)
