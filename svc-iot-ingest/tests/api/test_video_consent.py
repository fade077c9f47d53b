"""Video consent (000 §三(三) "经老年人及其家属同意，可根据需要联网视频通话并提供紧急援助"): a camera
joins a bed only while the bed's `video_monitoring` consent is in force (409 naming the missing
consent otherwise); when intake publishes its withdrawal (or a refusal that decides the scope),
the bed's cameras are suspended: device lists show it and their readings and events are refused
with a problem naming the consent (not a 401) until a consent is given again."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from chassis.principal import Role
from chassis.testing.principals import principal_headers
from homebed_schemas.envelope import Envelope
from iot_ingest.consumers import handle_bed_event
from iot_ingest.service.device_connectivity import check_connectivity
from iot_ingest.settings import Settings
from iot_ingest.testing import QUIET_LOOPS, Iot, consent_envelope, now_iso, running_iot


@pytest.fixture
async def iot(database_url: str) -> AsyncIterator[Iot]:
    """The service on SQLite and on PostgreSQL (the consent projection upserts); Kafka off."""
    settings = Settings(database_url=database_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings) as running:
        yield running


T0 = datetime.now(UTC) - timedelta(days=3)


def _admin() -> dict[str, str]:
    return principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1")


async def _register(iot: Iot, bed: str, device_type: str, serial: str) -> httpx.Response:
    return await iot.client.post(
        "/v1/devices",
        json={"bed_id": bed, "device_type": device_type, "serial": serial},
        headers=_admin(),
    )


async def _send(iot: Iot, token: str, seq: int) -> tuple[httpx.Response, httpx.Response]:
    """A reading and a fall event of the camera, with the lane's token cache expired first (a
    withdrawal reaches a cache within its TTL)."""
    iot.app.state.iot.authenticator.clear()
    reading = await iot.post_readings(
        token, [{"seq": seq, "ts": now_iso(), "metric": "motion", "value": 1}]
    )
    event = await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return reading, event


async def _listed(iot: Iot, device_id: str) -> dict[str, Any]:
    items = (await iot.client.get("/v1/devices", headers=_admin())).json()["items"]
    [found] = [d for d in items if d["device_id"] == device_id]
    return found


async def test_a_camera_needs_video_consent_and_stops_when_it_is_withdrawn(iot: Iot) -> None:
    bed = await iot.add_bed()
    refused = await _register(iot, bed, "camera", "CAM-1")
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "urn:homebed:problem:precondition-failed"
    assert problem["missing_consents"] == ["video_monitoring"]
    assert problem["action"] == "register_camera"
    [why] = problem["problems"]
    assert "000 §三(三)" in why
    assert "经老年人及其家属同意" in why
    assert why.endswith("none recorded")
    assert (await _register(iot, bed, "smoke", "S-1")).status_code == 201  # needs none

    await iot.feed(consent_envelope(bed, consent_id="c-1", given_at=T0))
    camera = await _register(iot, bed, "camera", "CAM-1")
    assert camera.status_code == 201, camera.text
    assert (camera.json()["suspended"], camera.json()["missing_consents"]) == (False, [])
    token, device_id = camera.json()["token"], camera.json()["device_id"]
    reading, event = await _send(iot, token, 1)
    assert (reading.status_code, event.status_code) == (202, 201)
    fall_alarm = event.json()["alarm_id"]

    withdrawn_at = T0 + timedelta(days=1)
    await iot.feed(
        consent_envelope(bed, consent_id="c-1", kind="withdrawn", given_at=T0, at=withdrawn_at)
    )
    listed = await _listed(iot, device_id)
    assert listed["suspended"] is True
    assert listed["missing_consents"] == ["video_monitoring"]
    assert datetime.fromisoformat(listed["suspended_at"]) == withdrawn_at
    assert listed["status"] == "active"  # the token stays valid: it is the data we refuse
    reading, event = await _send(iot, token, 2)
    for answer in (reading, event):
        assert answer.status_code == 409, answer.text
        body = answer.json()
        assert body["type"] == "urn:homebed:problem:precondition-failed"
        assert body["missing_consents"] == ["video_monitoring"]
        assert body["device_status"] == "suspended"
        assert "000 §三(三)" in body["detail"]
    again = await _register(iot, bed, "camera", "CAM-2")
    assert again.status_code == 409
    assert "withdrawn on" in again.json()["problems"][0]
    # a suspended camera is silent because we refuse it: no offline alarm noise about it
    changes = await check_connectivity(
        uow=iot.runtime.uow(), now=datetime.now(UTC) + timedelta(hours=2)
    )
    assert device_id not in {d for d, _ in changes}

    # given again: the camera is heard from again
    await iot.feed(consent_envelope(bed, consent_id="c-2", given_at=T0 + timedelta(days=2)))
    assert (await _listed(iot, device_id))["suspended"] is False
    reading, event = await _send(iot, token, 3)
    assert (reading.status_code, event.status_code) == (202, 201)
    assert event.json()["alarm_id"] == fall_alarm  # the fall is still open: a repeat


async def test_only_the_deciding_record_counts(iot: Iot) -> None:
    bed = await iot.add_bed()
    await iot.feed(consent_envelope(bed, consent_id="c-1", given_at=T0 + timedelta(days=1)))
    camera = (await _register(iot, bed, "camera", "CAM-3")).json()
    # a refusal given before the grant, entered later, does not decide (intake: not in force)
    await iot.feed(consent_envelope(bed, consent_id="c-0", decision="refused", given_at=T0))
    assert (await _listed(iot, camera["device_id"]))["suspended"] is False
    # a refusal given after it does
    await iot.feed(
        consent_envelope(bed, consent_id="c-2", decision="refused", given_at=T0 + timedelta(days=2))
    )
    assert (await _listed(iot, camera["device_id"]))["suspended"] is True
    refused = await _register(iot, bed, "camera", "CAM-4")
    assert refused.json()["problems"][0].endswith(f"refused on {(T0 + timedelta(days=2)).date()}")


async def test_consent_before_the_bed_is_known_and_other_beds_unaffected(iot: Iot) -> None:
    bed = "bed-consent-first"
    await iot.feed(consent_envelope(bed, consent_id="c-9", given_at=T0))
    await iot.add_bed(bed)
    assert (await _register(iot, bed, "camera", "CAM-5")).status_code == 201
    other = await iot.add_bed()
    assert (await _register(iot, other, "camera", "CAM-6")).status_code == 409


async def test_workflow_and_running_bed_events_are_not_poison(iot: Iot) -> None:
    """intake.beds.v1 carries payloads other than BedEvent (the acceptance workflow) and bed
    types that say nothing about devices: the consumer ignores them."""
    bed = await iot.add_bed()
    acceptance = {
        "acceptance_id": "acc-1",
        "bed_id": bed,
        "elder_id": "e-1",
        "provider_id": "p1",
        "jurisdiction": "341800",
        "region_code": "341802",
        "attempt": 1,
        "status": "applied",
        "contract_id": "k-1",
        "investment": [],
        "investment_total_fen": 0,
        "service_period_start": "2026-01-01",
        "service_period_end": "2026-01-31",
        "service_data": [],
        "applied_on": "2026-02-01",
        "occurred_at": now_iso(),
    }
    types = [
        "bed.acceptance_applied",
        "bed.acceptance_inspected",
        "bed.acceptance_returned",
        "bed.acceptance_approved",
    ]
    async with iot.runtime.uow() as uow:
        for event_type in types:
            envelope = Envelope(type=event_type, source="svc-intake", subject=bed, data=acceptance)
            await handle_bed_event(uow, envelope)
        for event_type in ("bed.contract_renewed", "bed.reassessed", "bed.unknown_later"):
            envelope = Envelope(type=event_type, source="svc-intake", subject=bed, data={})
            await handle_bed_event(uow, envelope)
        await uow.commit()
    assert (await _register(iot, bed, "smoke", "S-7")).status_code == 201
