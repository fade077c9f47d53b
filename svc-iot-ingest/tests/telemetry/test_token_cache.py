"""The device token cache refreshes ahead: a device never waits for its token's periodic read,
and a token revoked by another process stops working within the cache's TTL all the same."""

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.telemetry.auth import DeviceAuthenticator


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_token_is_read_again_in_the_background_before_it_expires(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    clock = Clock()
    elsewhere = DeviceAuthenticator(iot.runtime.uow, ttl_seconds=30, clock=clock)
    assert (await elsewhere.authenticate(device["token"])).device_id == device["device_id"]
    # revoked through another process (this cache is not told)
    revoked = await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert revoked.status_code == 200, revoked.text
    clock.now += 20  # before the refresh point (80% of 30 s): the cached answer, nothing read
    assert await elsewhere.authenticate(device["token"]) is not None
    await elsewhere.settle()
    assert await elsewhere.authenticate(device["token"]) is not None
    clock.now += 5  # past it: still answered from the cache at once, read in the background
    assert await elsewhere.authenticate(device["token"]) is not None
    await elsewhere.settle()
    assert await elsewhere.authenticate(device["token"]) is None  # within the TTL


async def test_an_expired_token_is_read_before_answering(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    clock = Clock()
    elsewhere = DeviceAuthenticator(iot.runtime.uow, ttl_seconds=30, clock=clock)
    assert await elsewhere.authenticate(device["token"]) is not None
    await iot.client.post(
        f"/v1/devices/{device['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    clock.now += 31
    assert await elsewhere.authenticate(device["token"]) is None
