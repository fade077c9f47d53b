from datetime import UTC, datetime, timedelta

import pytest

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.catalogue import CATALOGUE, DeviceEventKind, spec_of
from iot_ingest.domain.metric_ranges import METRICS, Metric
from iot_ingest.domain.validation import ReadingIn, RefusalReason, validate_readings

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_catalogue_covers_every_device_type_with_a_citation() -> None:
    assert set(CATALOGUE) == set(DeviceType)
    for spec in CATALOGUE.values():
        assert spec.citation
        assert spec.heartbeat_timeout > timedelta(0)


def test_every_metric_has_a_spec() -> None:
    assert set(METRICS) == {m.value for m in Metric}


def test_event_permissions_follow_the_seed_devices() -> None:
    assert spec_of(DeviceType.EMERGENCY_BUTTON).may_send_event(DeviceEventKind.SOS_PRESSED)
    assert spec_of(DeviceType.FALL_DETECTOR).may_send_event(DeviceEventKind.FALL_DETECTED)
    assert not spec_of(DeviceType.SMOKE).may_send_event(DeviceEventKind.FALL_DETECTED)
    assert spec_of(DeviceType.SMART_MATTRESS).may_send_metric(Metric.BED_PRESENCE)
    assert not spec_of(DeviceType.DOOR_CONTACT).may_send_metric(Metric.HEART_RATE)


def _r(seq: int, metric: str, value: float, ts: datetime = NOW) -> ReadingIn:
    return ReadingIn(seq=seq, ts=ts, metric=metric, value=value)


def test_valid_readings_are_accepted_in_order() -> None:
    readings = [_r(1, "heart_rate", 72), _r(2, "spo2", 97), _r(3, "body_temp", 36.6)]
    result = validate_readings(spec_of(DeviceType.VITAL_SIGNS_MONITOR), readings, now=NOW)
    assert result.accepted == readings
    assert result.refused == []


@pytest.mark.parametrize(
    ("reading", "reason"),
    [
        (_r(1, "body_temp", 98.6), RefusalReason.OUT_OF_RANGE),  # Fahrenheit
        (_r(1, "blood_glucose", 100), RefusalReason.OUT_OF_RANGE),  # mg/dL
        (_r(1, "heart_rate", 0), RefusalReason.OUT_OF_RANGE),
        (_r(1, "spo2", 101), RefusalReason.OUT_OF_RANGE),
        (_r(1, "heart_rate", float("nan")), RefusalReason.OUT_OF_RANGE),
        (
            _r(1, "heart_rate", 80, NOW + timedelta(minutes=5, seconds=1)),
            RefusalReason.FUTURE_TIMESTAMP,
        ),
        (_r(1, "heart_rate", 80, datetime(2026, 3, 1, 2, 0)), RefusalReason.NAIVE_TIMESTAMP),
        (_r(1, "door_open", 1), RefusalReason.METRIC_NOT_ALLOWED),
        (_r(1, "pulse_pressure", 40), RefusalReason.UNKNOWN_METRIC),
        (_r(-1, "heart_rate", 80), RefusalReason.NEGATIVE_SEQ),
    ],
)
def test_each_bad_reading_is_refused_with_its_reason(reading: ReadingIn, reason: str) -> None:
    good = _r(10, "heart_rate", 70)
    result = validate_readings(
        spec_of(DeviceType.VITAL_SIGNS_MONITOR), [good, reading, good], now=NOW
    )
    assert result.accepted == [good, good]
    assert [(r.index, r.reason) for r in result.refused] == [(1, reason)]
    assert result.refused[0].detail


def test_flags_must_be_whole_numbers() -> None:
    mattress = spec_of(DeviceType.SMART_MATTRESS)
    result = validate_readings(
        mattress, [_r(1, "bed_presence", 0.5), _r(2, "bed_presence", 1)], now=NOW
    )
    assert [r.seq for r in result.accepted] == [2]
    assert result.refused[0].reason is RefusalReason.OUT_OF_RANGE


def test_exactly_five_minutes_ahead_is_still_accepted() -> None:
    result = validate_readings(
        spec_of(DeviceType.VITAL_SIGNS_MONITOR),
        [_r(1, "heart_rate", 70, NOW + timedelta(minutes=5))],
        now=NOW,
    )
    assert len(result.accepted) == 1
