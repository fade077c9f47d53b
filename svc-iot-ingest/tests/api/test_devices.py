from sqlalchemy import select

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.domain.device_tokens import hash_token
from iot_ingest.tables import devices
from iot_ingest.testing import now_iso


async def test_register_shows_the_token_once_and_stores_only_its_hash(iot) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed)
    assert device["token"].startswith("hbd_")
    assert device["provider_id"] == "p1"
    async with iot.runtime.uow() as uow:
        stored = await uow.session.scalar(
            select(devices.c.token_hash).where(devices.c.device_id == device["device_id"])
        )
    assert stored == hash_token(device["token"])
    listed = await iot.client.get(
        "/v1/devices", headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1")
    )
    assert [d["device_id"] for d in listed.json()["items"]] == [device["device_id"]]
    assert "token" not in listed.json()["items"][0]


async def test_only_active_beds_of_ones_own_provider(iot) -> None:
    other = await iot.add_bed(provider_id="p2")
    response = await iot.client.post(
        "/v1/devices",
        json={"bed_id": other, "device_type": "smoke", "serial": "S1"},
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert response.status_code == 404
    unknown = await iot.client.post(
        "/v1/devices",
        json={"bed_id": "nope", "device_type": "smoke", "serial": "S1"},
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert unknown.status_code == 404
    suspended = await iot.add_bed(kind="suspended")
    response = await iot.client.post(
        "/v1/devices",
        json={"bed_id": suspended, "device_type": "smoke", "serial": "S2"},
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert response.status_code == 409
    assert "not in service" in response.json()["detail"]
    assert response.json()["bed_status"] == "suspended"


async def test_caregiver_may_not_register_and_serials_are_unique(iot) -> None:
    bed = await iot.add_bed()
    body = {"bed_id": bed, "device_type": "gas", "serial": "G-1"}
    caregiver = await iot.client.post(
        "/v1/devices",
        json=body,
        headers=principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1"),
    )
    assert caregiver.status_code == 403
    first = await iot.client.post(
        "/v1/devices",
        json=body,
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    second = await iot.client.post(
        "/v1/devices",
        json=body,
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert (first.status_code, second.status_code) == (201, 409)


async def test_rotate_replaces_the_token_and_revoke_disables_it(iot) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed)
    reading = [{"seq": 1, "ts": now_iso(), "metric": "heart_rate", "value": 70}]
    assert (await iot.post_readings(device["token"], reading)).status_code == 202
    rotated = await iot.client.post(
        f"/v1/devices/{device['device_id']}/rotate-token",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert rotated.status_code == 200
    new_token = rotated.json()["token"]
    assert (await iot.post_readings(device["token"], reading)).status_code == 401
    assert (await iot.post_readings(new_token, reading)).status_code == 202
    revoked = await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert revoked.json()["status"] == "revoked"
    assert (await iot.post_readings(new_token, reading)).status_code == 401
    other_provider = await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p2"),
    )
    assert other_provider.status_code == 404


async def test_remove_publishes_device_removed(iot) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed)
    removed = await iot.client.delete(
        f"/v1/devices/{device['device_id']}",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert removed.status_code == 204
    async with iot.runtime.uow() as uow:
        types = (
            (
                await uow.session.execute(
                    select(uow.tables.outbox.c.event_type).order_by(uow.tables.outbox.c.id)
                )
            )
            .scalars()
            .all()
        )
    assert types == ["device.registered", "device.removed"]
    gone = await iot.client.get(
        f"/v1/devices/{device['device_id']}",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert gone.status_code == 404
