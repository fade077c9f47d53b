"""Routes and use cases take their time from the app's injected clock, never the wall."""

from datetime import UTC, datetime, timedelta

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, running_iot


async def test_alarm_times_come_from_the_injected_clock(sqlite_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(start)
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=clock) as iot:
        device = await iot.add_device(await iot.add_bed(), "fall_detector")
        raised = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": start.isoformat(), "kind": "fall_detected"},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        assert datetime.fromisoformat(raised.json()["raised_at"]) == start
        clock.advance(seconds=90)
        nurse = principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")
        ack = await iot.client.post(
            f"/v1/alarms/{raised.json()['alarm_id']}/acknowledge", headers=nurse
        )
        assert datetime.fromisoformat(ack.json()["acknowledged_at"]) == start + timedelta(
            seconds=90
        )
        registered = await iot.client.get(
            f"/v1/devices/{device['device_id']}",
            headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
        )
        assert datetime.fromisoformat(registered.json()["registered_at"]) == start
