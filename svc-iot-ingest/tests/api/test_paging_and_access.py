"""Lists answer pages whose offset really skips; the access matrix of the people's routes."""

import pytest

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.testing import now_iso


def _admin(provider_id: str = "p1") -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id=provider_id)


async def _alarms(iot, count: int) -> list[str]:
    """`count` alarms on their own beds, oldest first."""
    ids = []
    for _ in range(count):
        device = await iot.add_device(await iot.add_bed(), "fall_detector")
        raised = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        assert raised.status_code == 201, raised.text
        ids.append(raised.json()["alarm_id"])
    return ids


async def test_alarm_pages_skip_the_offset_and_count_the_total(iot) -> None:
    newest_first = list(reversed(await _alarms(iot, 5)))
    pages = [
        (await iot.client.get("/v1/alarms", params=params, headers=_admin())).json()
        for params in ({"limit": 2}, {"limit": 2, "offset": 2}, {"limit": 2, "offset": 4})
    ]
    assert [[a["alarm_id"] for a in page["items"]] for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:5],
    ]
    assert [(p["total"], p["limit"], p["offset"]) for p in pages] == [
        (5, 2, 0),
        (5, 2, 2),
        (5, 2, 4),
    ]
    beyond = await iot.client.get("/v1/alarms", params={"offset": 5}, headers=_admin())
    assert (beyond.json()["items"], beyond.json()["total"]) == ([], 5)


async def test_device_pages_skip_the_offset(iot) -> None:
    bed = await iot.add_bed()
    ids = [(await iot.add_device(bed, "smoke"))["device_id"] for _ in range(3)]
    first = await iot.client.get("/v1/devices", params={"limit": 2}, headers=_admin())
    second = await iot.client.get("/v1/devices", params={"limit": 2, "offset": 2}, headers=_admin())
    listed = [d["device_id"] for d in first.json()["items"] + second.json()["items"]]
    assert sorted(listed) == sorted(ids)
    assert len(set(listed)) == 3
    assert (first.json()["total"], second.json()["total"]) == (3, 3)


async def test_page_size_is_capped(iot) -> None:
    response = await iot.client.get("/v1/alarms", params={"limit": 101}, headers=_admin())
    assert response.status_code == 422
    assert response.json()["type"] == "urn:homebed:problem:invalid-request"


# role -> (may read alarms and devices, may manage devices)
MATRIX = {
    Role.CAREGIVER: (True, False),
    Role.PROVIDER_ADMIN: (True, True),
    Role.OPS: (True, True),
    Role.FAMILY: (False, False),
    Role.ELDER: (False, False),
    Role.OFFICER: (False, False),
    Role.HOSPITAL: (False, False),
}


@pytest.mark.parametrize(("role", "may"), list(MATRIX.items()), ids=[r.value for r in MATRIX])
async def test_access_matrix(iot, role: Role, may: tuple[bool, bool]) -> None:
    may_read, may_manage = may
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "smoke")
    provider_id = None if role is Role.OPS else "p1"
    headers = principal_headers(role, "someone", provider_id=provider_id)
    listed = await iot.client.get("/v1/alarms", headers=headers)
    read = await iot.client.get(f"/v1/devices/{device['device_id']}", headers=headers)
    assert (listed.status_code, read.status_code) == ((200, 200) if may_read else (403, 403))
    revoke = await iot.client.post(f"/v1/devices/{device['device_id']}/revoke", headers=headers)
    assert revoke.status_code == (200 if may_manage else 403)
    if not may_manage:
        problem = revoke.json()
        assert problem["type"] == "urn:homebed:problem:forbidden"
        assert problem["required_roles"]
    else:
        assert revoke.json()["status"] == "revoked"


async def test_another_providers_device_is_404_even_for_a_role_that_may_not_manage(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "smoke")
    nurse_elsewhere = principal_headers(Role.CAREGIVER, "nurse-9", provider_id="p2")
    revoke = await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke", headers=nurse_elsewhere
    )
    assert revoke.status_code == 404
    assert revoke.json()["type"] == "urn:homebed:problem:not-found"
