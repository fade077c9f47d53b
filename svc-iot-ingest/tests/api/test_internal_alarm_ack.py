"""The internal route svc-notify calls when a person acknowledges an alarm by replying to its
SMS: only the service principal (ops + scope alarm_ack); the same lifecycle and event as an
acknowledgement from the app, with the person as actor."""

from __future__ import annotations

from typing import Any

from chassis.principal import PRINCIPAL_HEADER, Principal, Role, mint_internal_token
from chassis.settings import DEV_INTERNAL_TOKEN_KEY
from homebed_schemas.events.iot import AlarmEvent
from iot_ingest.testing import Iot, now_iso


def as_principal(**claims: Any) -> dict[str, str]:
    return {PRINCIPAL_HEADER: mint_internal_token(Principal(**claims), DEV_INTERNAL_TOKEN_KEY)}


def notify_service() -> dict[str, str]:
    return as_principal(sub="svc-notify", role=Role.OPS, scopes=("alarm_ack",))


async def _raise_fall(iot: Iot) -> str:
    bed = await iot.add_bed()
    device = await iot.add_device(bed, "fall_detector")
    raised = await iot.client.post(
        "/v1/device-events",
        json={"seq": 1, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    assert raised.status_code == 201, raised.text
    alarm_id: str = raised.json()["alarm_id"]
    return alarm_id


async def test_acknowledges_for_the_person_and_publishes_the_event(iot: Iot) -> None:
    alarm_id = await _raise_fall(iot)
    answer = await iot.client.post(
        f"/internal/v1/alarms/{alarm_id}/acknowledge",
        json={"by": "dm-wang"},
        headers=notify_service(),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "alarm_id": alarm_id,
        "status": "acknowledged",
        "acknowledged_by": "dm-wang",
    }
    events = await iot.outbox("iot.alarms.v1")
    assert [e.type for e in events] == ["alarm.raised", "alarm.acknowledged"]
    assert AlarmEvent.model_validate(events[-1].data).actor == "dm-wang"
    again = await iot.client.post(
        f"/internal/v1/alarms/{alarm_id}/acknowledge",
        json={"by": "cg-li"},
        headers=notify_service(),
    )
    assert again.status_code == 409  # someone was first: notify answers already_acknowledged


async def test_only_the_service_principal_with_the_scope(iot: Iot) -> None:
    alarm_id = await _raise_fall(iot)
    route = f"/internal/v1/alarms/{alarm_id}/acknowledge"
    no_scope = as_principal(sub="ops-1", role=Role.OPS)
    admin = as_principal(sub="admin-1", role=Role.PROVIDER_ADMIN, provider_id="p1")
    for headers in (no_scope, admin):
        refused = await iot.client.post(route, json={"by": "x"}, headers=headers)
        assert refused.status_code == 403, refused.text
    missing = await iot.client.post(
        "/internal/v1/alarms/nope/acknowledge", json={"by": "x"}, headers=notify_service()
    )
    assert missing.status_code == 404
    assert (await iot.client.post(route, json={"by": "x"})).status_code == 401
