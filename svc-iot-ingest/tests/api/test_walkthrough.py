"""Issue 10 (what trying the platform as each role found) and issue 12's activity endpoint."""

from datetime import UTC, datetime, timedelta

from chassis.clock import ManualClock
from chassis.principal import Role
from chassis.testing.principals import principal_headers
from iot_ingest.consumers import handle_bed_event
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, bed_envelope, now_iso, running_iot

# principal tokens live 60 s: minted per request, never at import
PRINCIPALS = {
    "ADMIN": (Role.PROVIDER_ADMIN, "admin-1", {"provider_id": "p1"}),
    "ADMIN2": (Role.PROVIDER_ADMIN, "admin-2", {"provider_id": "p1"}),
    "NURSE": (Role.CAREGIVER, "nurse-1", {"provider_id": "p1"}),
    "CARER": (Role.CAREGIVER, "carer-7", {"provider_id": "p1"}),
    "OFFICER": (Role.OFFICER, "officer-1", {"regions": ("330102",)}),
    "FAR_OFFICER": (Role.OFFICER, "officer-9", {"regions": ("440100",)}),
    "OPS": (Role.OPS, "ops-1", {}),
}


def _as(name: str) -> dict[str, str]:
    role, sub, extra = PRINCIPALS[name]
    return principal_headers(role, sub, **extra)


async def _bed_event(iot, bed_id: str, kind: str, at: datetime | None = None) -> None:
    async with iot.runtime.uow() as uow:
        await handle_bed_event(uow, bed_envelope(bed_id, kind=kind, at=at))
        await uow.commit()


async def _fall(iot, token: str, seq: int = 1):
    return await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {token}"},
    )


# item 2 ---------------------------------------------------------------------------------------
async def test_a_fall_on_a_suspended_or_just_resumed_bed_is_raised_and_the_answer_says_so(
    iot,
) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "fall_detector")
    await _bed_event(iot, bed, "suspended")
    during = await _fall(iot, device["token"], 1)
    assert during.status_code == 201, during.text
    body = during.json()
    assert (body["bed_in_service"], body["bed_status"]) == (False, "suspended")
    assert body["notice"]["type"] == "urn:homebed:problem:bed-not-in-service"
    await _bed_event(iot, bed, "resumed")
    after = await _fall(iot, device["token"], 2)  # at once, no cache to wait out
    assert after.status_code == 201
    assert (after.json()["bed_in_service"], after.json()["notice"]) == (True, None)
    listed = await iot.client.get(f"/v1/devices?bed_id={bed}", headers=_as("ADMIN"))
    [item] = listed.json()["items"]
    assert (item["bed_status"], item["bed_in_service"]) == ("resumed", True)


# item 4 ---------------------------------------------------------------------------------------
async def test_a_terminated_bed_closes_its_alarms_and_refuses_new_devices_with_409(iot) -> None:
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "fall_detector")
    alarm = (await _fall(iot, device["token"])).json()
    await _bed_event(iot, bed, "terminated", at=datetime.now(UTC) + timedelta(seconds=1))
    closed = await iot.client.get(f"/v1/alarms/{alarm['alarm_id']}", headers=_as("ADMIN"))
    assert (closed.json()["status"], closed.json()["outcome"]) == ("resolved", "closed_bed_ended")
    assert [e.type for e in await iot.outbox("iot.alarms.v1")][-1] == "alarm.resolved"
    refused = await iot.client.post(
        "/v1/devices",
        json={"bed_id": bed, "device_type": "smoke", "serial": "S-ended"},
        headers=_as("ADMIN"),
    )
    assert refused.status_code == 409
    assert refused.json()["bed_status"] == "terminated"


# items 5, 11, 15 ------------------------------------------------------------------------------
async def test_dispatch_arrival_and_actions_depend_on_the_caller(iot) -> None:
    bed = await iot.add_bed()
    await iot.add_device(bed, "smoke", provider_id="p1")
    device = await iot.client.post(
        "/v1/devices",
        json={
            "bed_id": bed,
            "device_type": "fall_detector",
            "serial": "F-1",
            "location_label": "bedroom",
            "lat": 30.2741,
            "lon": 120.1551,
        },
        headers=_as("ADMIN"),
    )
    alarm_id = (await _fall(iot, device.json()["token"])).json()["alarm_id"]
    await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=_as("NURSE"))
    nobody = await iot.client.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "ghost"}, headers=_as("NURSE")
    )
    assert nobody.status_code == 422
    assert nobody.json()["errors"][0]["field"] == "assignee"
    await iot.add_worker("carer-7")
    dispatched = await iot.client.post(
        f"/v1/alarms/{alarm_id}/dispatch", json={"assignee": "carer-7"}, headers=_as("NURSE")
    )
    assert dispatched.status_code == 200
    assert dispatched.json()["allowed_actions"] == ["dispatch"]
    assert dispatched.json()["blocked_actions"] == [
        {"action": "arrive", "unmet": ["caller-is-assignee"]}
    ]
    impostor = await iot.client.post(f"/v1/alarms/{alarm_id}/arrive", headers=_as("NURSE"))
    assert impostor.status_code == 403
    mine = await iot.client.get("/v1/alarms?assignee=me", headers=_as("CARER"))
    [item] = mine.json()["items"]
    assert item["allowed_actions"] == ["dispatch", "arrive"]
    assert (item["region_code"], item["device_location_label"]) == ("330102", "bedroom")
    assert (await iot.client.get("/v1/alarms?assignee=me", headers=_as("NURSE"))).json()[
        "total"
    ] == 0
    arrived = await iot.client.post(
        f"/v1/alarms/{alarm_id}/arrive",
        json={"lat": 30.2750, "lon": 120.1551},
        headers=_as("CARER"),
    )
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["arrived_by"] == "carer-7"
    assert arrived.json()["arrival_distance_m"] == 100


async def test_closing_a_breached_alarm_without_arrival_needs_two_admins_and_officers_see_it(
    sqlite_url: str,
) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    settings = Settings(database_url=sqlite_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings, clock=clock) as iot:
        bed = await iot.add_bed()
        device = await iot.add_device(bed, "emergency_button")
        sos = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": clock().isoformat(), "kind": "sos_pressed"},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        alarm_id = sos.json()["alarm_id"]
        await iot.client.post(f"/v1/alarms/{alarm_id}/acknowledge", headers=_as("NURSE"))
        clock.advance(timedelta(minutes=16))
        false_alarm = {"outcome": "false_alarm", "note": "elder says it was a mistake"}
        by_nurse = await iot.client.post(
            f"/v1/alarms/{alarm_id}/resolve", json=false_alarm, headers=_as("NURSE")
        )
        assert by_nurse.status_code == 403
        requested = await iot.client.post(
            f"/v1/alarms/{alarm_id}/resolve", json=false_alarm, headers=_as("ADMIN")
        )
        assert requested.status_code == 200
        assert (requested.json()["status"], requested.json()["close_requested_by"]) == (
            "acknowledged",
            "admin-1",
        )
        assert {
            "action": "resolve (outcome false_alarm only)",
            "unmet": ["second-provider-admin"],
        } in requested.json()["blocked_actions"]
        again = await iot.client.post(
            f"/v1/alarms/{alarm_id}/resolve", json=false_alarm, headers=_as("ADMIN")
        )
        assert again.status_code == 409
        confirmed = await iot.client.post(
            f"/v1/alarms/{alarm_id}/resolve", json={"outcome": "false_alarm"}, headers=_as("ADMIN2")
        )
        assert (confirmed.json()["status"], confirmed.json()["close_confirmed_by"]) == (
            "resolved",
            "admin-2",
        )
        types = [e.type for e in await iot.outbox("iot.alarms.v1")]
        assert types[-3:] == [
            "alarm.close_requested",
            "alarm.resolved",
            "alarm.closed_without_arrival",
        ]
        seen = await iot.client.get("/v1/monitoring/closed-without-arrival", headers=_as("OFFICER"))
        assert [a["alarm_id"] for a in seen.json()["items"]] == [alarm_id]
        elsewhere = await iot.client.get(
            "/v1/monitoring/closed-without-arrival", headers=_as("FAR_OFFICER")
        )
        assert elsewhere.json()["total"] == 0


# items 8, 10 ----------------------------------------------------------------------------------
async def test_monitoring_changes_need_a_reason_are_audited_and_officers_see_disabled_rules(
    iot,
) -> None:
    bed = await iot.add_bed()
    no_reason = await iot.client.put(
        f"/v1/beds/{bed}/rules", json={"disabled": ["heart_rate_high"]}, headers=_as("ADMIN")
    )
    assert no_reason.status_code == 422
    changed = await iot.client.put(
        f"/v1/beds/{bed}/rules",
        json={"disabled": ["heart_rate_high", "spo2_low"], "reason": "in hospital monitoring"},
        headers=_as("ADMIN"),
    )
    assert changed.status_code == 200, changed.text
    regulator_gone = await iot.client.put(
        "/v1/escalation-policy",
        json={"steps": [], "reason": "nobody to call"},
        headers=_as("ADMIN"),
    )
    assert regulator_gone.status_code == 422
    assert "street_office" in regulator_gone.json()["errors"][0]["message"]
    by_ops = await iot.client.put(
        "/v1/escalation-policy", json={"steps": [], "reason": "x" * 5}, headers=_as("OPS")
    )
    assert by_ops.status_code == 403
    ops_read = await iot.client.get("/v1/escalation-policy?provider_id=p1", headers=_as("OPS"))
    assert (ops_read.status_code, ops_read.json()["provider_id"]) == (200, "p1")
    assert (await iot.client.get("/v1/escalation-policy", headers=_as("OPS"))).status_code == 422
    disabled = await iot.client.get("/v1/monitoring/disabled-rules", headers=_as("OFFICER"))
    [row] = disabled.json()["items"]
    assert (row["bed_id"], row["disabled"], row["reason"]) == (
        bed,
        ["heart_rate_high", "spo2_low"],
        "in hospital monitoring",
    )
    far = await iot.client.get("/v1/monitoring/disabled-rules", headers=_as("FAR_OFFICER"))
    assert far.json()["total"] == 0
    audit = await iot.client.get("/v1/monitoring/changes", headers=_as("OFFICER"))
    [entry] = audit.json()["items"]
    assert (entry["kind"], entry["changed_by"], entry["reason"]) == (
        "bed_rules",
        "admin-1",
        "in hospital monitoring",
    )
    assert entry["after"]["disabled"] == ["heart_rate_high", "spo2_low"]
    nurse = await iot.client.get("/v1/monitoring/changes", headers=_as("NURSE"))
    assert nurse.status_code == 403


# issue 12: device corroboration of a visit -----------------------------------------------------
async def test_bed_activity_for_service_records(iot) -> None:
    from iot_ingest.streams.storage import project_storage
    from iot_ingest.testing import telemetry_record

    t0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    window = "from=2026-03-01T01:55:00Z&to=2026-03-01T03:00:00Z"
    bare = await iot.add_bed()
    assert (
        await iot.client.get(f"/internal/beds/{bare}/activity?{window}", headers=_as("OPS"))
    ).json()["status"] == "no_sensor"
    bed = await iot.add_bed()
    pir = await iot.add_device(bed, "pir_motion")
    quiet = await iot.client.get(f"/internal/beds/{bed}/activity?{window}", headers=_as("OPS"))
    assert (quiet.json()["status"], quiet.json()["devices"]) == ("no_activity", [pir["device_id"]])
    async with iot.runtime.uow() as uow:
        record = telemetry_record(
            {**pir, "device_type": "pir_motion"}, [(1, 60, "motion", 1.0)], t0=t0
        )
        await project_storage(uow, [record])
        await uow.commit()
    seen = await iot.client.get(f"/internal/beds/{bed}/activity?{window}", headers=_as("OPS"))
    assert seen.json()["status"] == "corroborated"
    assert seen.json()["first_activity_at"].startswith("2026-03-01T02:01")
    assert (
        await iot.client.get(f"/internal/beds/{bed}/activity?{window}", headers=_as("ADMIN"))
    ).status_code == 403


# item 17 --------------------------------------------------------------------------------------
async def test_openapi_documents_the_msgspec_bodies_and_the_problems(iot) -> None:
    document = (await iot.client.get("/openapi.json")).json()
    for path, method in (
        ("/v1/telemetry", "post"),
        ("/v1/device-events", "post"),
        ("/v1/beds/{bed_id}/rules", "put"),
    ):
        operation = document["paths"][path][method]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        assert schema["$ref"].startswith("#/components/schemas/")
        assert schema["$ref"].rsplit("/", 1)[1] in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert any(code.startswith("4") for code in operation["responses"]), (path, method)
