import random
from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from homebed_schemas.envelope import Envelope
from homebed_schemas.events.iot import TelemetryBatch
from iot_ingest.domain.validation import ReadingIn
from iot_ingest.telemetry.aggregates import BatchAggregator
from iot_ingest.telemetry.codec import decode_post, decode_telemetry, encode_telemetry
from iot_ingest.telemetry.rate_limit import DeviceRateLimiter
from iot_ingest.telemetry.seq_window import SeqWindows

T0 = datetime(2026, 3, 1, 2, 0, 30, tzinfo=UTC)


def test_seq_window_detects_retries_and_replays() -> None:
    windows = SeqWindows(window=10)
    assert windows.fresh("d1", [1, 2, 3]) == [True, True, True]
    assert windows.fresh("d1", [3, 4, 2]) == [False, True, False]
    assert windows.fresh("d1", [1, 1]) == [False, False]
    # a within-batch duplicate is caught too
    assert windows.fresh("d1", [9, 9]) == [True, False]
    # an out-of-order seq within the window is new
    assert windows.fresh("d1", [7]) == [True]
    assert windows.fresh("d1", [40]) == [True]
    assert windows.fresh("d1", [25]) == [False]  # older than the window: replay
    assert windows.fresh("d2", [1]) == [True]  # devices are independent
    assert windows.take_dirty() == {"d1": 40, "d2": 1}
    assert windows.take_dirty() == {}


def test_seq_window_after_restart_refuses_seqs_up_to_the_persisted_mark() -> None:
    windows = SeqWindows(window=10)
    windows.seed("d1", 100)
    assert windows.fresh("d1", [95, 100, 101]) == [False, False, True]
    assert windows.fresh("d1", [99]) == [False]
    windows.forget("d1")
    assert windows.fresh("d1", [0]) == [True]


def test_rate_limiter_refuses_with_retry_after_and_refills() -> None:
    limiter = DeviceRateLimiter(rate=2, burst=2)
    assert limiter.try_acquire("d1", 0.0) is None
    assert limiter.try_acquire("d1", 0.0) is None
    assert limiter.try_acquire("d1", 0.0) == 1
    assert limiter.try_acquire("d2", 0.0) is None  # per device
    assert limiter.try_acquire("d1", 0.5) is None  # one token back after 0.5 s
    slow = DeviceRateLimiter(rate=0.1, burst=1)
    assert slow.try_acquire("d", 0.0) is None
    assert slow.try_acquire("d", 1.0) == 9


def test_rate_limiter_rejects_bad_configuration() -> None:
    with pytest.raises(ValueError, match="rate"):
        DeviceRateLimiter(rate=0, burst=1)


def test_telemetry_message_matches_the_shared_contract() -> None:
    readings = [ReadingIn(seq=1, ts=T0, metric="heart_rate", value=72.0)]
    event_id, raw = encode_telemetry(
        source="svc-iot-ingest",
        device_id="d1",
        bed_id="b1",
        provider_id="p1",
        device_type="vital_signs_monitor",
        readings=readings,
        received_at=T0,
    )
    envelope = Envelope.model_validate_json(raw)
    assert str(envelope.id) == event_id
    assert (envelope.type, envelope.subject, envelope.source) == (
        "telemetry.batch",
        "d1",
        "svc-iot-ingest",
    )
    batch = TelemetryBatch.model_validate(envelope.data)
    assert batch.readings[0].ts == T0
    assert decode_telemetry(raw).data.readings == readings


def test_post_decoding_is_strict() -> None:
    post = decode_post(
        b'{"readings":[{"seq":1,"ts":"2026-03-01T02:00:00Z","metric":"spo2","value":97}]}'
    )
    assert post.readings[0].value == 97.0
    with pytest.raises(msgspec.ValidationError):
        decode_post(
            b'{"readings":[{"seq":"x","ts":"2026-03-01T02:00:00Z","metric":"a","value":1}]}'
        )
    with pytest.raises(msgspec.ValidationError):
        decode_post(b'{"readings":[],"extra":1}')
    with pytest.raises(msgspec.DecodeError):
        decode_post(b"{not json")


def test_aggregator_builds_minutes_and_latest_values() -> None:
    agg = BatchAggregator()
    for i, value in enumerate([70.0, 90.0, 80.0]):
        agg.add(
            device_id="d1",
            bed_id="b1",
            metric="heart_rate",
            value=value,
            ts=T0 + timedelta(seconds=10 * i),
            seq=i,
        )
    minutes = sorted(agg.minutes.values(), key=lambda a: a.minute)
    assert [(a.minute.minute, a.count, a.total, a.minimum, a.maximum) for a in minutes] == [
        (0, 3, 240.0, 70.0, 90.0)
    ]
    agg.add(
        device_id="d1",
        bed_id="b1",
        metric="heart_rate",
        value=60.0,
        ts=T0 + timedelta(seconds=40),
        seq=3,
    )
    assert len(agg.minutes) == 2
    assert agg.latest[("d1", "heart_rate")].value == 60.0
    agg.add(device_id="d1", bed_id="b1", metric="heart_rate", value=99.0, ts=T0, seq=0)
    assert agg.latest[("d1", "heart_rate")].value == 60.0  # an older reading is not "latest"


def test_add_readings_equals_adding_one_by_one() -> None:
    """The storage consumer's one-loop path (issue 16, CPU per reading) gives what `add` gives
    reading by reading, with the replay check of `highs`: replays skipped, `ts` ties and
    out-of-order readings, minute boundaries, another UTC offset, several calls."""
    rng = random.Random(7)
    plus8 = timezone(timedelta(hours=8))
    for _ in range(40):
        one_loop, reference = BatchAggregator(), BatchAggregator()
        highs_loop: dict[tuple[str, str], int] = {("d1", "spo2"): 5}
        highs_ref = dict(highs_loop)
        for call in range(3):
            device, bed = rng.choice([("d1", "b1"), ("d2", "b1"), ("d3", "b2")])
            readings = []
            for _ in range(rng.randint(0, 30)):
                at = T0 + timedelta(seconds=rng.choice([0, 15, 29, 30, 31, 59, 60, 61, 95, 120]))
                readings.append(
                    ReadingIn(
                        seq=rng.randint(0, 40),
                        ts=at.astimezone(plus8) if rng.random() < 0.3 else at,
                        metric=rng.choice(["spo2", "heart_rate"]),
                        value=float(rng.randint(50, 100)),
                    )
                )
            one_loop.add_readings(device, bed, readings, highs_loop)
            for r in readings:
                key = (device, r.metric)
                if r.seq <= highs_ref.get(key, -1):
                    continue
                highs_ref[key] = r.seq
                reference.add(
                    device_id=device, bed_id=bed, metric=r.metric, value=r.value, ts=r.ts, seq=r.seq
                )
            assert highs_loop == highs_ref, call
            assert one_loop.minutes == reference.minutes
            assert one_loop.latest == reference.latest
