"""The alarm lane reads the device behind a token in the fall's own transaction (issue 16: a fall
detector posts so rarely that its token is seldom cached). Authentication keeps its answers:
401 for no valid device (whatever the body), 409 for a camera suspended for its consent,
revocation at once, and what the transaction read is cached for the next requests."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.domain.device_tokens import hash_token
from iot_ingest.tables import devices
from iot_ingest.telemetry.auth import DeviceAuthenticator
from iot_ingest.testing import Iot, now_iso


async def _fall(iot: Iot, token: str, seq: int = 1, **body: object) -> httpx.Response:
    return await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": "fall_detected", **body},
        headers={"Authorization": f"Bearer {token}"},
    )


def _cache(iot: Iot) -> DeviceAuthenticator:
    found: DeviceAuthenticator = iot.app.state.iot.authenticator
    return found


async def test_an_uncached_device_raises_its_fall_and_is_cached_by_the_transaction(
    iot: Iot,
) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "fall_detector")
    token_hash = hash_token(device["token"])
    assert _cache(iot).cached(token_hash) is None  # never heard of: read with the fall
    answer = await _fall(iot, device["token"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["bed_in_service"] is True
    cached = _cache(iot).cached(token_hash)
    assert cached is not None
    assert cached.auth is not None
    assert (cached.auth.device_id, cached.auth.bed_id) == (device["device_id"], bed)
    again = await _fall(iot, device["token"])  # a retry of seq 1: the same alarm
    assert (again.status_code, again.json()["alarm_id"]) == (200, answer.json()["alarm_id"])
    repeat = await _fall(iot, device["token"], seq=2)  # the bed's active fall alarm repeats
    assert (repeat.status_code, repeat.json()["count"]) == (201, 2)
    assert repeat.json()["alarm_id"] == answer.json()["alarm_id"]


async def test_an_unknown_token_is_401_whatever_the_body(iot: Iot) -> None:
    unknown, other = "hbd_" + "x" * 43, "hbd_" + "y" * 43
    for answer in (
        # not cached yet, a bad body: the token is read first (422 / 400 for a device)
        await _fall(iot, unknown, kind="no_such_kind"),
        await iot.client.post(
            "/v1/device-events",
            content=b"not json",
            headers={"Authorization": f"Bearer {other}", "Content-Type": "application/json"},
        ),
        await _fall(iot, unknown),  # the cache's "not valid": refused before the body
    ):
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"] == "Bearer"
    cached = _cache(iot).cached(hash_token(unknown))
    assert cached is not None
    assert cached.auth is None
    missing = await iot.client.post(
        "/v1/device-events", json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"}
    )
    assert missing.status_code == 401


async def test_a_known_device_with_a_bad_body_hears_4xx_naming_the_field(iot: Iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    wrong_kind = await _fall(iot, device["token"], kind="smoke")
    assert wrong_kind.status_code == 422, wrong_kind.text
    assert "body.kind" in wrong_kind.text
    future = await iot.client.post(
        "/v1/device-events",
        json={"seq": 1, "ts": now_iso(3600), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    assert future.status_code == 422
    assert "body.ts" in future.text
    bad = await iot.client.post(
        "/v1/device-events",
        content=b"{",
        headers={"Authorization": f"Bearer {device['token']}", "Content-Type": "application/json"},
    )
    assert bad.status_code == 400


async def test_a_revoked_token_is_refused_at_once_even_when_cached(iot: Iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    assert (await _fall(iot, device["token"])).status_code == 201  # cached now
    revoked = await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert revoked.status_code == 200, revoked.text
    assert (await _fall(iot, device["token"], seq=2)).status_code == 401


async def test_a_token_revoked_elsewhere_is_refused_by_the_falls_own_read(iot: Iot) -> None:
    """Another process revoked it and its notice has not arrived: the cache still holds the
    device, but the fall's transaction reads the row and refuses it (and forgets the cache's)."""
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    assert (await _fall(iot, device["token"])).status_code == 201
    async with iot.runtime.uow() as uow:
        await uow.session.execute(
            update(devices)
            .where(devices.c.device_id == device["device_id"])
            .values(status="revoked")
        )
        await uow.commit()
    assert (await _fall(iot, device["token"], seq=2)).status_code == 401
    cached = _cache(iot).cached(hash_token(device["token"]))
    assert cached is not None
    assert cached.auth is None
