"""The network connection device (001 Annex 2 item 1) and the smart wearable (000 §三(三))
register like any device, publish `device.registered` with their type (intake confirms its
checklist item from it) and send what the catalogue allows (issue 11 item 12)."""

from homebed_schemas.events.iot import DeviceEvent, DeviceType
from iot_ingest.testing import Iot, now_iso


def _r(seq: int, metric: str, value: float) -> dict:
    return {"seq": seq, "ts": now_iso(), "metric": metric, "value": value}


async def test_both_types_register_and_publish_their_type(iot: Iot) -> None:
    bed = await iot.add_bed()
    network = await iot.add_device(bed, "network_gateway")
    wearable = await iot.add_device(bed, "smart_wearable")
    assert (network["device_type"], wearable["device_type"]) == (
        "network_gateway",
        "smart_wearable",
    )
    registered = [
        DeviceEvent.model_validate(e.data)
        for e in await iot.outbox("iot.devices.v1")
        if e.type == "device.registered"
    ]
    assert [(e.device_id, e.device_type) for e in registered] == [
        (network["device_id"], DeviceType.NETWORK_GATEWAY),
        (wearable["device_id"], DeviceType.SMART_WEARABLE),
    ]


async def test_the_network_device_sends_its_signal_and_no_alarm(iot: Iot) -> None:
    network = await iot.add_device(await iot.add_bed(), "network_gateway")
    answer = await iot.post_readings(network["token"], [_r(1, "rssi", -65), _r(2, "steps", 10)])
    assert answer.status_code == 202
    assert answer.json()["accepted"] == 1
    assert answer.json()["refused"][0]["reason"] == "metric_not_allowed_for_device_type"
    sos = await iot.client.post(
        "/v1/device-events",
        json={"seq": 3, "ts": now_iso(), "kind": "sos_pressed"},
        headers={"Authorization": f"Bearer {network['token']}"},
    )
    assert sos.status_code == 422


async def test_the_wearable_sends_vitals_and_steps_and_raises_a_fall(iot: Iot) -> None:
    wearable = await iot.add_device(await iot.add_bed(), "smart_wearable")
    readings = [
        _r(1, "heart_rate", 76),
        _r(2, "spo2", 96),
        _r(3, "steps", 1520),
        _r(4, "battery", 80),
    ]
    answer = await iot.post_readings(wearable["token"], readings)
    assert answer.status_code == 202
    assert (answer.json()["accepted"], answer.json()["refused"]) == (4, [])
    fall = await iot.client.post(
        "/v1/device-events",
        json={"seq": 5, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {wearable['token']}"},
    )
    assert fall.status_code == 201, fall.text
    assert fall.json()["alarm_type"] == "fall_detected"
    [event] = [e for e in await iot.outbox("iot.alarms.v1") if e.type == "alarm.raised"]
    assert event.data["device_id"] == wearable["device_id"]
