"""Device types the catalogues name (issue 11 item 12): the network connection device of
001 Annex 2 item 1 and the smart wearables of 000 §三(三) / 001 §四(三)2, with what they may
send and the ranges their readings are held to."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.catalogue import DeviceEventKind, spec_of
from iot_ingest.domain.connectivity import Connectivity, DeviceLiveness, check_silence
from iot_ingest.domain.metric_ranges import Metric
from iot_ingest.domain.validation import ReadingIn, RefusalReason, validate_readings

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
NETWORK = spec_of(DeviceType.NETWORK_GATEWAY)
WEARABLE = spec_of(DeviceType.SMART_WEARABLE)


def _r(seq: int, metric: str, value: float) -> ReadingIn:
    return ReadingIn(seq=seq, ts=NOW, metric=metric, value=value)


def test_the_seeds_name_them() -> None:
    assert quoted_in_seed("001", "网络连接设备 保证信号传输稳定")  # 001 Annex 2 item 1
    assert quoted_in_seed(
        "000", "包括紧急呼叫、智能穿戴、智能感应、远程监控、信息传输等"
    )  # 000 §三(三)
    assert quoted_in_seed(
        "001", "能通过智能床、智能床垫、智能穿戴等设施设备远程监测老年人生命健康体征数据"
    )
    assert NETWORK.label == "网络连接设备"
    assert NETWORK.citation == "001 Annex 2 item 1"
    assert WEARABLE.citation == "000 §三(三); 001 §四(三)2"


def test_the_network_device_reports_its_link_only() -> None:
    assert NETWORK.metrics == frozenset({Metric.RSSI})
    assert NETWORK.events == frozenset()
    result = validate_readings(
        NETWORK, [_r(1, "rssi", -70), _r(2, "heart_rate", 70), _r(3, "rssi", 5)], now=NOW
    )
    assert [r.seq for r in result.accepted] == [1]
    assert [(r.seq, r.reason) for r in result.refused] == [
        (2, RefusalReason.METRIC_NOT_ALLOWED),
        (3, RefusalReason.OUT_OF_RANGE),  # dBm are never positive
    ]


def test_a_silent_network_device_goes_offline_within_five_minutes() -> None:
    state = DeviceLiveness("gw-1", "bed-1", DeviceType.NETWORK_GATEWAY, last_seen=NOW)
    assert check_silence(state, NOW + timedelta(minutes=5)) is None
    change = check_silence(state, NOW + timedelta(minutes=5, seconds=1))
    assert change is not None
    assert change.change is Connectivity.OFFLINE


def test_the_wearable_reports_vital_signs_steps_and_battery() -> None:
    readings = [
        _r(1, "heart_rate", 72),
        _r(2, "spo2", 97),
        _r(3, "steps", 3250),
        _r(4, "battery", 64),
        _r(5, "rssi", -80),
    ]
    result = validate_readings(WEARABLE, readings, now=NOW)
    assert result.accepted == readings


@pytest.mark.parametrize(
    ("reading", "reason"),
    [
        (_r(1, "steps", -1), RefusalReason.OUT_OF_RANGE),
        (_r(1, "steps", 12.5), RefusalReason.OUT_OF_RANGE),  # steps are counted whole
        (_r(1, "steps", 100_001), RefusalReason.OUT_OF_RANGE),
        (_r(1, "heart_rate", 300), RefusalReason.OUT_OF_RANGE),
        (_r(1, "blood_glucose", 5.5), RefusalReason.METRIC_NOT_ALLOWED),
        (_r(1, "bed_presence", 1), RefusalReason.METRIC_NOT_ALLOWED),
    ],
)
def test_the_wearable_readings_out_of_range_or_kind_are_refused(
    reading: ReadingIn, reason: RefusalReason
) -> None:
    assert [r.reason for r in validate_readings(WEARABLE, [reading], now=NOW).refused] == [reason]


def test_the_wearable_raises_falls_sos_and_leaving_the_safe_zone() -> None:
    assert WEARABLE.events == frozenset(
        {DeviceEventKind.SOS_PRESSED, DeviceEventKind.FALL_DETECTED, DeviceEventKind.LEFT_SAFE_ZONE}
    )
    assert not WEARABLE.may_send_event(DeviceEventKind.SMOKE)
    assert not NETWORK.may_send_event(DeviceEventKind.SOS_PRESSED)
