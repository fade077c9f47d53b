"""A bed moved to another provider (intake's `bed.provider_changed`; 001 §四(六) "试点地区民政部门
应及时重新选定服务机构"): its devices and open alarms are the new provider's. The old provider's
staff get 404 on them and can no longer act; the new provider's see and handle them; an alarm
dispatched to the old provider's worker is released back to the new provider's queue, recorded
on the alarm (comment, `alarm.handed_over`, both providers' streams); escalations follow the new
provider's chain and new alarms are the new provider's even with a device token cached before."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.escalation import REGULATOR
from iot_ingest.service.alarm_changes import RaiseRequest, raise_or_repeat
from iot_ingest.service.escalation import run_escalations
from iot_ingest.settings import Settings
from iot_ingest.tables import alarm_feed
from iot_ingest.testing import QUIET_LOOPS, Iot, bed_envelope, now_iso, running_iot

# principal tokens live 60 s: minted per request, never at import


@pytest.fixture
async def iot(database_url: str) -> AsyncIterator[Iot]:
    """The service on SQLite and on PostgreSQL (the hand-over locks the alarms it moves); Kafka off."""
    settings = Settings(database_url=database_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings) as running:
        yield running


PEOPLE: dict[str, tuple[Role, str, str]] = {
    "admin_p1": (Role.PROVIDER_ADMIN, "admin-1", "p1"),
    "nurse_p1": (Role.CAREGIVER, "nurse-1", "p1"),
    "carer_p1": (Role.CAREGIVER, "carer-7", "p1"),
    "admin_p2": (Role.PROVIDER_ADMIN, "admin-21", "p2"),
    "nurse_p2": (Role.CAREGIVER, "nurse-21", "p2"),
    "carer_p2": (Role.CAREGIVER, "carer-27", "p2"),
}


def _as(who: str) -> dict[str, str]:
    role, sub, provider = PEOPLE[who]
    return principal_headers(role, sub, provider_id=provider)


async def _event(iot: Iot, token: str, kind: str, seq: int = 1) -> dict[str, Any]:
    response = await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": kind},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _move(iot: Iot, bed: str, at: datetime) -> None:
    await iot.feed(
        bed_envelope(
            bed,
            "p2",
            "provider_changed",
            at=at,
            status="established",
            previous_provider_id="p1",
        )
    )


async def test_devices_and_open_alarms_pass_to_the_new_provider(iot: Iot) -> None:
    bed = await iot.add_bed()
    fall = await iot.add_device(bed, "fall_detector")
    button = await iot.add_device(bed, "emergency_button")
    await iot.add_worker("carer-7", provider_id="p1")
    await iot.add_worker("carer-27", provider_id="p2")
    # the new provider's own chain: someone of theirs is called after one minute
    chain = await iot.client.put(
        "/v1/escalation-policy",
        json={
            "steps": [
                {"level": 1, "unmet": "acknowledged", "after_seconds": 60, "notify": "p2_duty"},
                {"level": 2, "unmet": "arrived", "after_seconds": 900, "notify": REGULATOR},
            ],
            "reason": "our night desk",
        },
        headers=_as("admin_p2"),
    )
    assert chain.status_code == 200, chain.text

    dispatched = (await _event(iot, fall["token"], "fall_detected"))["alarm_id"]
    await iot.client.post(f"/v1/alarms/{dispatched}/acknowledge", headers=_as("nurse_p1"))
    answer = await iot.client.post(
        f"/v1/alarms/{dispatched}/dispatch", json={"assignee": "carer-7"}, headers=_as("nurse_p1")
    )
    assert answer.json()["assignee"] == "carer-7"
    untouched = (await _event(iot, button["token"], "sos_pressed"))["alarm_id"]
    smoke = await iot.add_device(bed, "smoke")
    reading = {"seq": 1, "ts": now_iso(), "metric": "rssi", "value": -60}
    assert (await iot.post_readings(smoke["token"], [reading])).status_code == 202
    # the smoke detector's token is now cached in the lane, naming p1
    moved_at = datetime.now(UTC)

    await _move(iot, bed, moved_at)

    # the old provider's staff: 404 on the devices, alarms and the bed; nothing listed
    for path in (
        f"/v1/devices/{fall['device_id']}",
        f"/v1/alarms/{dispatched}",
        f"/v1/alarms/{untouched}",
        f"/v1/beds/{bed}/rules",
    ):
        assert (await iot.client.get(path, headers=_as("admin_p1"))).status_code == 404, path
        assert (await iot.client.get(path, headers=_as("admin_p2"))).status_code == 200, path
    assert (await iot.client.get("/v1/devices", headers=_as("admin_p1"))).json()["total"] == 0
    assert (await iot.client.get("/v1/alarms", headers=_as("nurse_p1"))).json()["total"] == 0
    mine = await iot.client.get("/v1/alarms?assignee=me", headers=_as("carer_p1"))
    assert mine.json()["total"] == 0
    late_arrival = await iot.client.post(f"/v1/alarms/{dispatched}/arrive", headers=_as("carer_p1"))
    assert late_arrival.status_code == 404
    devices = (await iot.client.get("/v1/devices", headers=_as("admin_p2"))).json()["items"]
    assert {d["device_id"]: d["provider_id"] for d in devices} == {
        fall["device_id"]: "p2",
        button["device_id"]: "p2",
        smoke["device_id"]: "p2",
    }

    # the dispatched alarm: back in the new provider's queue, the release on record
    detail = (await iot.client.get(f"/v1/alarms/{dispatched}", headers=_as("nurse_p2"))).json()
    assert (detail["provider_id"], detail["status"], detail["assignee"]) == (
        "p2",
        "acknowledged",
        None,
    )
    assert "dispatch" in detail["allowed_actions"]
    [note] = detail["comments"]
    assert note["by"] == "platform"
    assert "from provider p1 to p2 (001 §四(六))" in note["text"]
    assert "carer-7 released" in note["text"]
    # the old provider's worker is not the new provider's; theirs is
    refused = await iot.client.post(
        f"/v1/alarms/{dispatched}/dispatch", json={"assignee": "carer-7"}, headers=_as("nurse_p2")
    )
    assert refused.status_code == 422
    again = await iot.client.post(
        f"/v1/alarms/{dispatched}/dispatch", json={"assignee": "carer-27"}, headers=_as("nurse_p2")
    )
    assert again.status_code == 200, again.text
    arrived = await iot.client.post(f"/v1/alarms/{dispatched}/arrive", headers=_as("carer_p2"))
    assert arrived.status_code == 200, arrived.text

    # published and fed to both providers' streams
    handed = [e for e in await iot.outbox("iot.alarms.v1") if e.type == "alarm.handed_over"]
    assert {e.subject: e.data["previous_provider_id"] for e in handed} == {
        dispatched: "p1",
        untouched: "p1",
    }
    assert {e.data["provider_id"] for e in handed} == {"p2"}
    async with iot.runtime.uow() as uow:
        fed = (
            await uow.session.execute(
                select(alarm_feed.c.provider_id, alarm_feed.c.alarm_id).where(
                    alarm_feed.c.event_type == "alarm.handed_over"
                )
            )
        ).all()
    assert sorted(fed) == sorted(
        [("p1", dispatched), ("p2", dispatched), ("p1", untouched), ("p2", untouched)]
    )

    # escalation: the untouched alarm climbs the new provider's chain
    await run_escalations(uow=iot.runtime.uow(), now=datetime.now(UTC) + timedelta(seconds=90))
    escalated = [
        e
        for e in await iot.outbox("iot.alarms.v1")
        if e.type == "alarm.escalated" and e.subject == untouched
    ]
    assert [e.data["escalation_target"] for e in escalated] == ["p2_duty"]

    # a new alarm from a token cached before the move is the new provider's
    fire = (await _event(iot, smoke["token"], "smoke", seq=2))["alarm_id"]
    assert (await iot.client.get(f"/v1/alarms/{fire}", headers=_as("nurse_p1"))).status_code == 404
    assert (await iot.client.get(f"/v1/alarms/{fire}", headers=_as("nurse_p2"))).status_code == 200
    async with iot.runtime.uow() as uow:
        # the rule engine's provider cache may predate the move: the bed's provider wins
        alarm, _ = await raise_or_repeat(
            uow,
            RaiseRequest(
                bed_id=bed,
                provider_id="p1",
                alarm_type="heart_rate_high",
                severity=AlarmSeverity.HIGH,
                at=datetime.now(UTC),
                rule_id="heart_rate_high",
            ),
        )
        await uow.commit()
    assert alarm.provider_id == "p2"


async def test_a_stale_or_repeated_move_changes_nothing(iot: Iot) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "smoke")
    moved_at = datetime.now(UTC)
    await _move(iot, bed, moved_at)
    await _move(iot, bed, moved_at)  # a replay
    # an older lifecycle event of p1 arriving late does not take the bed back
    await iot.feed(bed_envelope(bed, "p1", "established", at=moved_at - timedelta(minutes=5)))
    read = await iot.client.get(f"/v1/devices/{device['device_id']}", headers=_as("admin_p2"))
    assert read.status_code == 200
    assert read.json()["provider_id"] == "p2"
    handed = [e for e in await iot.outbox("iot.alarms.v1") if e.type == "alarm.handed_over"]
    assert handed == []  # no open alarm: nothing to hand over


async def test_a_move_of_a_suspended_bed_keeps_it_out_of_service(iot: Iot) -> None:
    bed = await iot.add_bed(kind="suspended")
    await iot.feed(
        bed_envelope(
            bed,
            "p2",
            "provider_changed",
            status="suspended",
            previous_provider_id="p1",
        )
    )
    refused = await iot.client.post(
        "/v1/devices",
        json={"bed_id": bed, "device_type": "smoke", "serial": "S-9"},
        headers=_as("admin_p2"),
    )
    assert refused.status_code == 409
    assert refused.json()["bed_status"] == "suspended"
