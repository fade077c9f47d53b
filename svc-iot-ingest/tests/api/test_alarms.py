"""Device events raise alarms at once; the lifecycle API; escalation and SLA with controlled time."""

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import AlarmEvent
from iot_ingest.api.stream import alarm_events
from iot_ingest.service.escalation import run_escalations
from iot_ingest.testing import now_iso


async def _event(iot, token: str, seq: int, kind: str = "fall_detected"):
    return await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": kind},
        headers={"Authorization": f"Bearer {token}"},
    )


async def _outbox(iot) -> list[Envelope]:
    return await iot.outbox("iot.alarms.v1")


async def _fall(iot, provider_id: str = "p1") -> tuple[dict, dict]:
    bed = await iot.add_bed(provider_id=provider_id)
    device = await iot.add_device(bed, "fall_detector", provider_id=provider_id)
    raised = await _event(iot, device["token"], 1)
    assert raised.status_code == 201, raised.text
    return device, raised.json()


async def test_fall_raises_an_alarm_with_a_15_minute_deadline(iot) -> None:
    _, alarm = await _fall(iot)
    raised_at = datetime.fromisoformat(alarm["raised_at"])
    assert datetime.fromisoformat(alarm["arrival_deadline"]) - raised_at == timedelta(minutes=15)
    [event] = await _outbox(iot)
    assert event.type == "alarm.raised"
    payload = AlarmEvent.model_validate(event.data)
    assert (payload.alarm_type, payload.severity.value, payload.count) == (
        "fall_detected",
        "critical",
        1,
    )


async def test_one_active_alarm_per_bed_and_type(iot) -> None:
    device, alarm = await _fall(iot)
    repeat = await _event(iot, device["token"], 2)
    assert repeat.status_code == 201
    assert (repeat.json()["alarm_id"], repeat.json()["count"]) == (alarm["alarm_id"], 2)
    retry = await _event(iot, device["token"], 2)  # same seq: a device retry
    assert retry.status_code == 200
    assert retry.json()["duplicate"] is True
    assert retry.json()["count"] == 2
    assert [e.type for e in await _outbox(iot)] == ["alarm.raised", "alarm.repeated"]
    # once resolved, the next fall is a new alarm
    alarm_id = alarm["alarm_id"]
    headers = principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")
    await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=headers)
    await iot.client.post(
        f"/v1/alarms/{alarm_id}/resolve", json={"outcome": "false_alarm"}, headers=headers
    )
    fresh = await _event(iot, device["token"], 3)
    assert fresh.json()["alarm_id"] != alarm_id


async def test_device_may_only_send_its_own_kinds(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "smoke")
    wrong = await _event(iot, device["token"], 1, kind="fall_detected")
    assert wrong.status_code == 422
    unknown = await _event(iot, device["token"], 2, kind="alien_landing")
    assert unknown.status_code == 422
    assert (await _event(iot, device["token"], 3, kind="smoke")).status_code == 201


async def test_lifecycle_through_the_api_records_who_and_when(iot) -> None:
    _, alarm = await _fall(iot)
    alarm_id = alarm["alarm_id"]
    await iot.add_worker("carer-7")
    nurse = principal_headers(Role.CAREGIVER, "nurse-1", provider_id="p1")
    ack = await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=nurse)
    assert ack.json()["acknowledged_by"] == "nurse-1"
    assert ack.json()["allowed_actions"] == ["dispatch", "resolve (outcome false_alarm only)"]
    dispatch = await iot.client.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "carer-7"}, headers=nurse
    )
    assert dispatch.json()["assignee"] == "carer-7"
    comment = await iot.client.post(
        f"/v1/alarms/{alarm_id}/comments", json={"text": "daughter informed"}, headers=nurse
    )
    assert comment.status_code == 201
    arrive = await iot.client.post(
        f"/v1/alarms/{alarm_id}/arrive",
        headers=principal_headers(Role.CAREGIVER, "carer-7", provider_id="p1"),
    )
    assert arrive.json()["arrived_by"] == "carer-7"
    resolved = await iot.client.post(
        f"/v1/alarms/{alarm_id}/resolve",
        json={"outcome": "handled_on_site", "note": "helped up, no injury"},
        headers=nurse,
    )
    assert (resolved.json()["status"], resolved.json()["outcome"]) == (
        "resolved",
        "handled_on_site",
    )
    detail = await iot.client.get(f"/v1/alarms/{alarm_id}", headers=nurse)
    assert [c["text"] for c in detail.json()["comments"]] == ["daughter informed"]
    types = [e.type for e in await _outbox(iot)]
    assert types == [
        "alarm.raised",
        "alarm.acknowledged",
        "alarm.dispatched",
        "alarm.commented",
        "alarm.arrived",
        "alarm.resolved",
    ]


async def test_illegal_transition_is_409_with_allowed_steps(iot) -> None:
    _, alarm = await _fall(iot)
    response = await iot.client.post(
        f"/v1/alarms/{alarm['alarm_id']}/arrive",
        headers=principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1"),
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:homebed:problem:illegal-transition"
    assert (problem["state"], problem["action"]) == ("raised", "arrive")
    assert problem["allowed_actions"] == ["acknowledge"]
    bad_outcome = await iot.client.post(
        f"/v1/alarms/{alarm['alarm_id']}/resolve",
        json={"outcome": "teleported"},
        headers=principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1"),
    )
    assert bad_outcome.status_code == 422


async def test_another_providers_alarm_is_404_and_lists_are_scoped(iot) -> None:
    _, mine = await _fall(iot, "p1")
    _, theirs = await _fall(iot, "p2")
    p1 = principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1")
    assert (await iot.client.get(f"/v1/alarms/{theirs['alarm_id']}", headers=p1)).status_code == 404
    ack = await iot.client.post(f"/v1/alarms/{theirs['alarm_id']}/acknowledge", headers=p1)
    assert ack.status_code == 404
    listed = await iot.client.get("/v1/alarms", headers=p1)
    assert [a["alarm_id"] for a in listed.json()["items"]] == [mine["alarm_id"]]
    ops = await iot.client.get("/v1/alarms", headers=principal_headers(Role.OPS, "admin-1"))
    assert {a["alarm_id"] for a in ops.json()["items"]} == {mine["alarm_id"], theirs["alarm_id"]}
    family = await iot.client.get(
        "/v1/alarms", headers=principal_headers(Role.FAMILY, "admin-1", provider_id="p1")
    )
    assert family.status_code == 403


async def test_list_filters(iot) -> None:
    device, alarm = await _fall(iot)
    smoke = await iot.add_device(device["bed_id"], "smoke")
    await _event(iot, smoke["token"], 1, kind="smoke")
    p1 = principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1")
    by_type = await iot.client.get("/v1/alarms", params={"alarm_type": "smoke"}, headers=p1)
    assert [a["alarm_type"] for a in by_type.json()["items"]] == ["smoke"]
    await iot.client.post(f"/v1/alarms/{alarm['alarm_id']}/acknowledge", headers=p1)
    raised = await iot.client.get("/v1/alarms", params={"status": "raised"}, headers=p1)
    assert [a["alarm_type"] for a in raised.json()["items"]] == ["smoke"]


async def test_escalation_and_sla_breach_with_controlled_time(iot) -> None:
    _, alarm = await _fall(iot)
    breaches = {"service": "svc-iot-ingest", "alarm_type": "fall_detected", "provider_id": "p1"}
    counted = REGISTRY.get_sample_value("homebed_iot_alarms_sla_breached_total", breaches) or 0
    raised_at = datetime.fromisoformat(alarm["raised_at"])
    assert await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(seconds=119)) == 0
    assert await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(minutes=2)) == 1
    assert await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(minutes=3)) == 0
    made = await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(minutes=15))
    assert made == 1  # the street office hears at 15:00; 15:00 itself is still in time
    made = await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(minutes=15.01))
    assert made == 1
    events = [e for e in await _outbox(iot) if e.type in ("alarm.escalated", "alarm.sla_breached")]
    payloads = [AlarmEvent.model_validate(e.data) for e in events]
    assert [(e.type, p.escalation_target) for e, p in zip(events, payloads, strict=True)] == [
        ("alarm.escalated", "duty_manager"),
        ("alarm.escalated", "street_office"),
        ("alarm.sla_breached", None),
    ]
    assert payloads[-1].sla_breached
    # the ops dashboard's "15-minute breaches by provider" (deploy/grafana/dashboards.py)
    assert REGISTRY.get_sample_value("homebed_iot_alarms_sla_breached_total", breaches) == (
        counted + 1
    )
    detail = await iot.client.get(
        f"/v1/alarms/{alarm['alarm_id']}",
        headers=principal_headers(Role.CAREGIVER, "admin-1", provider_id="p1"),
    )
    assert (detail.json()["escalation_level"], detail.json()["sla_breached"]) == (2, True)


async def test_provider_policy_changes_the_chain(iot) -> None:
    admin = principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1")
    response = await iot.client.put(
        "/v1/escalation-policy",
        json={
            "steps": [
                {"level": 1, "unmet": "acknowledged", "after_seconds": 60, "notify": "night_nurse"},
                {"level": 2, "unmet": "arrived", "after_seconds": 900, "notify": "street_office"},
            ],
            "reason": "night shift has its own nurse",
        },
        headers=admin,
    )
    assert response.status_code == 200, response.text
    step = {"level": 1, "unmet": "acknowledged", "after_seconds": 60.0, "notify": "night_nurse"}
    regulator = {"level": 2, "unmet": "arrived", "after_seconds": 900.0, "notify": "street_office"}
    assert response.json() == {"provider_id": "p1", "steps": [step, regulator]}
    read = await iot.client.get("/v1/escalation-policy", headers=admin)
    assert read.json() == response.json()
    duplicate_levels = await iot.client.put(
        "/v1/escalation-policy",
        json={"steps": [step, step, regulator], "reason": "typo"},
        headers=admin,
    )
    assert duplicate_levels.status_code == 422
    assert duplicate_levels.json()["errors"] == [
        {"field": "steps", "message": "escalation levels must be unique"}
    ]
    _, alarm = await _fall(iot)
    raised_at = datetime.fromisoformat(alarm["raised_at"])
    await run_escalations(uow=iot.runtime.uow(), now=raised_at + timedelta(seconds=61))
    [escalated] = [e for e in await _outbox(iot) if e.type == "alarm.escalated"]
    assert escalated.data["escalation_target"] == "night_nurse"


async def test_stream_resumes_after_last_event_id_and_is_scoped(iot) -> None:
    _, first = await _fall(iot, "p1")
    await _fall(iot, "p2")
    _, second = await _fall(iot, "p1")

    async def never() -> bool:
        return False

    frames = alarm_events(
        uow_factory=iot.runtime.uow,
        scope="p1",
        last_event_id=0,
        poll_seconds=0.01,
        disconnected=never,
    )
    received = []
    async for frame in frames:
        if frame.startswith(b"id:"):
            received.append(frame)
        if len(received) == 2:
            break
    await frames.aclose()
    ids = [int(f.split(b"\n")[0].split(b": ")[1]) for f in received]
    assert [
        first["alarm_id"].encode() in received[0],
        second["alarm_id"].encode() in received[1],
    ] == [True, True]
    resumed = alarm_events(
        uow_factory=iot.runtime.uow,
        scope="p1",
        last_event_id=ids[0],
        poll_seconds=0.01,
        disconnected=never,
    )
    async for frame in resumed:
        if frame.startswith(b"id:"):
            assert second["alarm_id"].encode() in frame
            assert b"event: alarm.raised" in frame
            break
    await resumed.aclose()


async def test_stream_endpoint_requires_a_principal(iot) -> None:
    response = await iot.client.get("/v1/alarms/stream")
    assert response.status_code == 401


async def test_raised_at_is_now_not_device_time(sqlite_url: str) -> None:
    """The device's clock is three hours behind: the alarm carries the server's time."""
    from chassis.clock import ManualClock
    from iot_ingest.settings import Settings
    from iot_ingest.testing import QUIET_LOOPS, running_iot

    server_now = datetime(2026, 3, 2, 8, 30, 0, tzinfo=UTC)
    device_time = server_now - timedelta(hours=3)
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=ManualClock(server_now)) as iot:
        device = await iot.add_device(await iot.add_bed(), "fall_detector")
        raised = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": device_time.isoformat(), "kind": "fall_detected"},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        assert raised.status_code == 201, raised.text
        alarm = raised.json()
        assert datetime.fromisoformat(alarm["raised_at"]) == server_now
        assert datetime.fromisoformat(alarm["arrival_deadline"]) == server_now + timedelta(
            minutes=15
        )
        [event] = await _outbox(iot)
        assert datetime.fromisoformat(event.data["raised_at"]) == server_now


@pytest.mark.postgres
async def test_escalation_skips_an_alarm_the_lane_holds_and_takes_it_next_sweep(
    postgres_url: str,
) -> None:
    from iot_ingest.repository.alarms import AlarmRepository
    from iot_ingest.settings import Settings
    from iot_ingest.testing import QUIET_LOOPS, running_iot

    settings = Settings(database_url=postgres_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings) as iot:
        _, held = await _fall(iot)
        _, free = await _fall(iot)
        due = datetime.fromisoformat(free["raised_at"]) + timedelta(minutes=2)  # both due
        async with iot.runtime.uow() as lane:  # as the alarm lane repeating it would
            held_alarm = await lane.repo(AlarmRepository).get(held["alarm_id"], lock=True)
            assert held_alarm is not None
            # the sweep does not wait for the held alarm; it escalates the other one
            assert await run_escalations(uow=iot.runtime.uow(), now=due) == 1
        assert await run_escalations(uow=iot.runtime.uow(), now=due) == 1
        escalated = [e.subject for e in await _outbox(iot) if e.type == "alarm.escalated"]
        assert escalated == [free["alarm_id"], held["alarm_id"]]
