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


async def test_tokens_falling_due_together_are_read_again_together(iot) -> None:
    """Devices that started together fall due together: one read for all of them, and each
    token gets its own answer (a revoked one stops working, the others go on)."""
    bed = await iot.add_bed()
    kept, revoked = [await iot.add_device(bed, "fall_detector") for _ in range(2)]
    clock = Clock()
    elsewhere = DeviceAuthenticator(iot.runtime.uow, ttl_seconds=30, clock=clock)
    for device in (kept, revoked):
        assert await elsewhere.authenticate(device["token"]) is not None
    answer = await iot.client.post(
        f"/v1/devices/{revoked['device_id']}/revoke",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert answer.status_code == 200, answer.text
    reads: list[int] = []
    lookup_many = elsewhere._lookup_many

    async def counted(token_hashes: set[str]) -> dict:
        reads.append(len(token_hashes))
        return await lookup_many(token_hashes)

    elsewhere._lookup_many = counted  # type: ignore[method-assign]
    clock.now += 25  # past the refresh point of both
    for device in (kept, revoked):
        assert await elsewhere.authenticate(device["token"]) is not None  # from the cache
    await elsewhere.settle()
    assert reads == [2]
    assert (await elsewhere.authenticate(kept["token"])).device_id == kept["device_id"]
    assert await elsewhere.authenticate(revoked["token"]) is None
