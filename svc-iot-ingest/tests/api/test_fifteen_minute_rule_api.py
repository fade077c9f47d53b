"""The 15-minute rule through the API on a driven clock (issue 11 item 1, 001 §四(三)2 "15分钟内"):
an arrival recorded after the deadline is a breach even though no escalation sweep ran, and an
arrival at exactly 15:00 is in time."""

from datetime import UTC, datetime, timedelta

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.service.escalation import run_escalations
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, Iot, running_iot


def nurse() -> dict[str, str]:
    """Minted per request: internal principal tokens live 60 s."""
    return principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")


def carer() -> dict[str, str]:
    return principal_headers(Role.CAREGIVER, "carer-7", provider_id="p1")


async def _dispatched_fall(iot: Iot, clock: ManualClock) -> str:
    device = await iot.add_device(await iot.add_bed(), "fall_detector")
    raised = await iot.client.post(
        "/v1/device-events",
        json={"seq": 1, "ts": clock().isoformat(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    assert raised.status_code == 201, raised.text
    alarm_id: str = raised.json()["alarm_id"]
    await iot.add_worker("carer-7")
    clock.advance(seconds=60)
    await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=nurse())
    dispatched = await iot.client.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "carer-7"}, headers=nurse()
    )
    assert dispatched.status_code == 200, dispatched.text
    return alarm_id


async def test_a_late_arrival_is_a_breach_without_any_sweep(sqlite_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(start)
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=clock) as iot:
        alarm_id = await _dispatched_fall(iot, clock)
        clock.set(start + timedelta(minutes=16))  # escalation loops are quiet: no sweep ran
        arrived = await iot.client.post(f"/v1/alarms/{alarm_id}/arrive", headers=carer())
        assert arrived.status_code == 200, arrived.text
        assert arrived.json()["sla_breached"] is True
        events = [e for e in await iot.outbox("iot.alarms.v1") if e.subject == alarm_id]
        assert [e.type for e in events][-2:] == ["alarm.sla_breached", "alarm.arrived"]
        assert events[-2].data["sla_breached"] is True
        assert datetime.fromisoformat(events[-2].data["occurred_at"]) == start + timedelta(
            minutes=15
        )
        breached = await iot.client.get("/v1/alarms?sla_breached=true", headers=nurse())
        assert [a["alarm_id"] for a in breached.json()["items"]] == [alarm_id]
        # the sweep, when it runs, adds nothing
        assert await run_escalations(uow=iot.runtime.uow(), now=clock()) == 0


async def test_arriving_at_exactly_fifteen_minutes_is_in_time(sqlite_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(start)
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=clock) as iot:
        alarm_id = await _dispatched_fall(iot, clock)
        clock.set(start + timedelta(minutes=15))
        # a sweep at the deadline itself alerts the street office but breaches nothing yet
        await run_escalations(uow=iot.runtime.uow(), now=clock())
        arrived = await iot.client.post(f"/v1/alarms/{alarm_id}/arrive", headers=carer())
        assert arrived.json()["sla_breached"] is False
        clock.advance(seconds=3600)
        await run_escalations(uow=iot.runtime.uow(), now=clock())
        detail = await iot.client.get(f"/v1/alarms/{alarm_id}", headers=nurse())
        assert detail.json()["sla_breached"] is False
        types = [e.type for e in await iot.outbox("iot.alarms.v1") if e.subject == alarm_id]
        assert "alarm.sla_breached" not in types
