"""The bad-input matrix of POST /v1/telemetry (in-memory bus in place of Kafka)."""

import asyncio

import orjson

from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import TelemetryBatch
from homebed_schemas.topics import IOT_TELEMETRY
from iot_ingest.testing import now_iso


def _r(seq: int, metric: str = "heart_rate", value: float = 72, ts: str | None = None) -> dict:
    return {"seq": seq, "ts": ts or now_iso(), "metric": metric, "value": value}


async def _device(iot, device_type: str = "vital_signs_monitor") -> dict:
    return await iot.add_device(await iot.add_bed(), device_type)


def _published(iot) -> list[TelemetryBatch]:
    return [
        TelemetryBatch.model_validate(Envelope.model_validate_json(m.value).data)
        for m in iot.bus.topics[IOT_TELEMETRY.name]
    ]


async def test_accepted_batch_is_published_once_keyed_by_bed(iot) -> None:
    device = await _device(iot)
    response = await iot.post_readings(device["token"], [_r(1), _r(2, "spo2", 97)])
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 2,
        "duplicates": 0,
        "late": 0,
        "refused": [],
        "bed_in_service": True,
    }
    [message] = iot.bus.topics[IOT_TELEMETRY.name]
    assert message.key == device["bed_id"].encode()
    [batch] = _published(iot)
    assert (batch.device_id, batch.bed_id, batch.provider_id) == (
        device["device_id"],
        device["bed_id"],
        "p1",
    )
    assert [r.seq for r in batch.readings] == [1, 2]


async def test_bad_readings_are_refused_one_by_one(iot) -> None:
    device = await _device(iot)
    readings = [
        _r(1),
        _r(2, "body_temp", 98.6),  # °F: wrong unit
        _r(3, ts=now_iso(offset_seconds=600)),  # 10 minutes in the future
        _r(4, "door_open", 1),  # a vital-signs monitor has no door
        _r(5, "blood_glucose", 5.4),
    ]
    response = await iot.post_readings(device["token"], readings)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["seq"], r["reason"]) for r in body["refused"]] == [
        (1, 2, "out_of_range"),
        (2, 3, "future_timestamp"),
        (3, 4, "metric_not_allowed_for_device_type"),
    ]
    assert [r.seq for r in _published(iot)[0].readings] == [1, 5]


async def test_replayed_seq_is_acknowledged_but_not_republished(iot) -> None:
    device = await _device(iot)
    first = await iot.post_readings(device["token"], [_r(1), _r(2)])
    again = await iot.post_readings(device["token"], [_r(1), _r(2), _r(3)])
    assert first.json()["accepted"] == 2
    assert again.json() == {
        "accepted": 1,
        "duplicates": 2,
        "late": 0,
        "refused": [],
        "bed_in_service": True,
    }
    assert [[r.seq for r in b.readings] for b in _published(iot)] == [[1, 2], [3]]
    only_dups = await iot.post_readings(device["token"], [_r(3)])
    assert only_dups.status_code == 202
    assert len(_published(iot)) == 2


async def test_every_reading_refused_is_422_with_the_list(iot) -> None:
    device = await _device(iot)
    response = await iot.post_readings(device["token"], [_r(1, "spo2", 140)])
    assert response.status_code == 422
    assert response.json()["refused"][0]["reason"] == "out_of_range"
    assert iot.bus.topics[IOT_TELEMETRY.name] == []


async def test_bad_json_and_bad_shapes(iot) -> None:
    device = await _device(iot)
    headers = {"Authorization": f"Bearer {device['token']}", "Content-Type": "application/json"}
    bad_json = await iot.client.post("/v1/telemetry", content=b"{oops", headers=headers)
    assert bad_json.status_code == 400
    assert bad_json.headers["content-type"].startswith("application/problem+json")
    wrong_type = await iot.client.post(
        "/v1/telemetry",
        content=orjson.dumps(
            {"readings": [{"seq": "one", "ts": now_iso(), "metric": "spo2", "value": 1}]}
        ),
        headers=headers,
    )
    assert wrong_type.status_code == 422
    assert "seq" in wrong_type.json()["detail"]


async def test_unknown_device_and_missing_token_are_401(iot) -> None:
    unknown = await iot.post_readings("hbd_not-a-real-token", [_r(1)])
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == "Bearer"
    missing = await iot.client.post("/v1/telemetry", json={"readings": [_r(1)]})
    assert missing.status_code == 401


async def test_oversized_batch_and_body(iot) -> None:
    device = await _device(iot)
    too_many = await iot.post_readings(device["token"], [_r(i) for i in range(1001)])
    assert too_many.status_code == 413
    assert "1000" in too_many.json()["detail"]
    huge = await iot.client.post(
        "/v1/telemetry",
        content=b" " * (256 * 1024 + 1),
        headers={"Authorization": f"Bearer {device['token']}"},
    )
    assert huge.status_code == 413


async def test_per_device_rate_limit_answers_429_with_retry_after(sqlite_url: str) -> None:
    from iot_ingest.settings import Settings
    from iot_ingest.testing import QUIET_LOOPS, running_iot

    settings = Settings(
        database_url=sqlite_url,
        kafka_enabled=False,
        telemetry_rate_per_device=0.5,  # one request per 2 s once the burst is spent
        telemetry_burst_per_device=40,
        **QUIET_LOOPS,
    )
    async with running_iot(settings) as iot:
        # the limiter's clock is stepped by the test: a slow run refills nothing meanwhile
        ticks = [1000.0]
        iot.app.state.iot.lane._monotonic = lambda: ticks[0]
        device = await _device(iot)
        other = await _device(iot)
        statuses = [
            (await iot.post_readings(device["token"], [_r(seq)])).status_code for seq in range(45)
        ]
        assert statuses == [202] * 40 + [429] * 5
        limited = await iot.post_readings(device["token"], [_r(100)])
        assert limited.status_code == 429
        assert limited.json()["type"] == "urn:homebed:problem:too-many-requests"
        assert limited.headers["retry-after"] == "2"
        assert (await iot.post_readings(other["token"], [_r(1)])).status_code == 202
        ticks[0] += 1.9  # not quite a token yet
        assert (await iot.post_readings(device["token"], [_r(100)])).status_code == 429
        ticks[0] += 0.1
        assert (await iot.post_readings(device["token"], [_r(100)])).status_code == 202
        assert (await iot.post_readings(device["token"], [_r(101)])).status_code == 429


async def test_kafka_down_is_503_and_the_retry_with_same_seqs_is_accepted(iot) -> None:
    device = await _device(iot)
    iot.bus.fail_sends = True
    failed = await iot.post_readings(device["token"], [_r(1), _r(2)])
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "1"
    iot.bus.fail_sends = False
    retried = await iot.post_readings(device["token"], [_r(1), _r(2)])
    assert retried.json() == {
        "accepted": 2,
        "duplicates": 0,
        "late": 0,
        "refused": [],
        "bed_in_service": True,
    }


class _StalledProducer:
    """A producer whose `send` never returns (metadata after a broker restart, a producer
    being replaced): the lane's deadline covers it, not only the acknowledgement."""

    def __init__(self) -> None:
        self.never = asyncio.Event()
        self.sends = 0

    async def send(self, topic: str, value: bytes, key: bytes | None = None) -> asyncio.Future:
        self.sends += 1
        await self.never.wait()
        raise AssertionError("unreachable")


async def test_a_send_that_never_returns_is_503_and_the_retry_is_accepted(iot) -> None:
    device = await _device(iot)
    lane = iot.app.state.iot.lane
    lane._ack_timeout = 0.05  # the deadline under test; nothing else waits on it
    stalled = _StalledProducer()
    iot.app.state.telemetry_producer.producer = stalled
    failed = await iot.post_readings(device["token"], [_r(1), _r(2)])
    assert (failed.status_code, failed.headers["retry-after"], stalled.sends) == (503, "1", 1)
    iot.app.state.telemetry_producer.producer = iot.bus
    retried = await iot.post_readings(device["token"], [_r(1), _r(2)])
    assert (retried.status_code, retried.json()["accepted"]) == (202, 2)
    assert [r.seq for r in _published(iot)[0].readings] == [1, 2]


async def test_devices_of_a_bed_not_in_service_are_heard_and_told(iot) -> None:
    device = await _device(iot)
    from iot_ingest.consumers import handle_bed_event
    from iot_ingest.testing import bed_envelope

    async with iot.runtime.uow() as uow:
        await handle_bed_event(uow, bed_envelope(device["bed_id"], kind="suspended"))
        await uow.commit()
    iot.app.state.iot.authenticator.clear()
    response = await iot.post_readings(device["token"], [_r(1)])
    assert response.status_code == 202  # a valid token stays valid
    body = response.json()
    assert (body["bed_in_service"], body["bed_status"]) == (False, "suspended")
    assert body["notice"]["type"] == "urn:homebed:problem:bed-not-in-service"


async def test_late_readings_are_counted_in_the_answer(iot) -> None:
    device = await _device(iot)
    hours_ago = {"seq": 1, "ts": now_iso(-3 * 3600), "metric": "heart_rate", "value": 70}
    response = await iot.post_readings(device["token"], [hours_ago, _r(2)])
    assert response.status_code == 202
    assert (response.json()["accepted"], response.json()["late"]) == (2, 1)


async def test_the_plain_route_behaves_like_the_fast_path(sqlite_url: str) -> None:
    from iot_ingest.settings import Settings
    from iot_ingest.testing import QUIET_LOOPS, running_iot

    settings = Settings(
        database_url=sqlite_url, kafka_enabled=False, telemetry_fast_path=False, **QUIET_LOOPS
    )
    async with running_iot(settings) as plain:
        device = await _device(plain)
        accepted = await plain.post_readings(device["token"], [_r(1), _r(2, "spo2", 150)])
        assert accepted.status_code == 202
        assert accepted.json()["accepted"] == 1
        assert accepted.json()["refused"][0]["reason"] == "out_of_range"
        assert (await plain.post_readings("hbd_nope", [_r(3)])).status_code == 401
        huge = await plain.post_readings(device["token"], [_r(i) for i in range(1001)])
        assert huge.status_code == 413
