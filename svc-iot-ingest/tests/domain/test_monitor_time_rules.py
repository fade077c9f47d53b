from datetime import datetime, timedelta

import msgspec

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.alarm_types import AlarmType
from iot_ingest.domain.connectivity import (
    Connectivity,
    DeviceLiveness,
    check_silence,
    observe_seen,
)
from iot_ingest.domain.rules.monitor import BedMonitor, BedMonitorState, MonitorSettings
from iot_ingest.domain.rules.rule import BedRuleOverrides, SignalKind
from iot_ingest.domain.time_windows import SHANGHAI

MONITOR = BedMonitor((), MonitorSettings())


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


# --- inactivity early warning (001 §四(三)2, 001 Annex 2 item 3) ---


def test_inactivity_raises_after_four_daytime_hours_without_motion() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "motion", 1, _local(1, 8))
    assert MONITOR.tick(state, _local(1, 11, 59)) == []
    signals = MONITOR.tick(state, _local(1, 12))
    assert [(s.kind, s.alarm_type, s.at) for s in signals] == [
        (SignalKind.RAISE, AlarmType.INACTIVITY, _local(1, 12))
    ]
    assert MONITOR.tick(state, _local(1, 13)) == []  # raised once
    cleared = MONITOR.observe(state, "motion", 1, _local(1, 13, 5))
    assert [(s.kind, s.alarm_type) for s in cleared] == [(SignalKind.CLEAR, AlarmType.INACTIVITY)]


def test_inactivity_does_not_count_the_night() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "motion", 1, _local(1, 19))  # 2 daytime hours left today
    assert MONITOR.tick(state, _local(2, 8, 59)) == []  # 2 h + 1:59 h
    assert [s.alarm_type for s in MONITOR.tick(state, _local(2, 9))] == [AlarmType.INACTIVITY]


def test_motion_zero_starts_the_watch_but_is_not_activity() -> None:
    state = BedMonitorState(bed_id="b1")
    assert MONITOR.tick(state, _local(1, 18)) == []  # no activity sensor seen yet: no watch
    MONITOR.observe(state, "motion", 0, _local(1, 8))
    MONITOR.observe(state, "motion", 0, _local(1, 10))
    assert [s.alarm_type for s in MONITOR.tick(state, _local(1, 12))] == [AlarmType.INACTIVITY]


def test_door_opening_counts_as_activity_and_care_plan_sets_hours() -> None:
    settings = MonitorSettings().for_bed(BedRuleOverrides(inactivity_hours=2))
    monitor = BedMonitor((), settings)
    state = BedMonitorState(bed_id="b1")
    monitor.observe(state, "door_open", 1, _local(1, 9))
    assert monitor.tick(state, _local(1, 10, 59)) == []
    assert [s.alarm_type for s in monitor.tick(state, _local(1, 11))] == [AlarmType.INACTIVITY]


# --- night bed-exit without return within 30 min ---


def test_night_bed_exit_without_return_raises_after_thirty_minutes() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "bed_presence", 1, _local(1, 23))
    MONITOR.observe(state, "bed_presence", 0, _local(2, 2))
    assert MONITOR.tick(state, _local(2, 2, 29)) == []
    raised = MONITOR.tick(state, _local(2, 2, 30))
    assert [(s.kind, s.alarm_type) for s in raised] == [
        (SignalKind.RAISE, AlarmType.NIGHT_BED_EXIT_NO_RETURN)
    ]
    assert MONITOR.tick(state, _local(2, 3)) == []
    back = MONITOR.observe(state, "bed_presence", 1, _local(2, 3, 10))
    assert [s.kind for s in back] == [SignalKind.CLEAR]


def test_night_bed_exit_with_return_in_time_raises_nothing() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "bed_presence", 1, _local(1, 23))
    MONITOR.observe(state, "bed_presence", 0, _local(2, 2))
    MONITOR.observe(state, "bed_presence", 1, _local(2, 2, 20))
    assert MONITOR.tick(state, _local(2, 4)) == []


def test_daytime_bed_exit_is_not_watched() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "bed_presence", 1, _local(1, 10))
    MONITOR.observe(state, "bed_presence", 0, _local(1, 11))
    assert MONITOR.tick(state, _local(1, 14)) == []


def test_bed_exit_fires_on_a_later_reading_too_and_survives_restart() -> None:
    state = BedMonitorState(bed_id="b1")
    MONITOR.observe(state, "bed_presence", 1, _local(1, 22))
    MONITOR.observe(state, "bed_presence", 0, _local(1, 23))
    restored = msgspec.json.decode(msgspec.json.encode(state), type=BedMonitorState)
    signals = MONITOR.observe(restored, "heart_rate", 70, _local(1, 23, 31))
    assert [s.alarm_type for s in signals] == [AlarmType.NIGHT_BED_EXIT_NO_RETURN]


# --- device offline / online ---


def test_device_goes_offline_after_its_heartbeat_timeout_and_back_online() -> None:
    seen = _local(1, 10)
    state = DeviceLiveness(
        device_id="d1", bed_id="b1", device_type=DeviceType.VITAL_SIGNS_MONITOR, last_seen=seen
    )
    assert check_silence(state, seen + timedelta(minutes=5)) is None  # timeout is 5 min
    offline = check_silence(state, seen + timedelta(minutes=5, seconds=1))
    assert offline is not None
    assert offline.change is Connectivity.OFFLINE
    assert offline.last_seen == seen
    assert check_silence(state, seen + timedelta(hours=1)) is None  # reported once
    online = observe_seen(state, seen + timedelta(hours=2))
    assert online is not None
    assert online.change is Connectivity.ONLINE
    assert observe_seen(state, seen + timedelta(hours=2, seconds=1)) is None


def test_heartbeat_timeout_depends_on_device_type() -> None:
    seen = _local(1, 10)
    button = DeviceLiveness(
        device_id="d2", bed_id="b1", device_type=DeviceType.EMERGENCY_BUTTON, last_seen=seen
    )
    assert check_silence(button, seen + timedelta(minutes=30)) is None
    assert check_silence(button, seen + timedelta(minutes=61)) is not None


def test_reconcile_from_stored_last_seen() -> None:
    from iot_ingest.domain.connectivity import reconcile

    seen = _local(1, 10)
    state = DeviceLiveness(
        device_id="d3", bed_id="b1", device_type=DeviceType.SMART_MATTRESS, last_seen=seen
    )
    assert reconcile(state, seen + timedelta(minutes=4)) is None
    offline = reconcile(state, seen + timedelta(minutes=6))
    assert offline is not None
    assert offline.change is Connectivity.OFFLINE
    assert reconcile(state, seen + timedelta(minutes=7)) is None
    state.last_seen = seen + timedelta(minutes=20)
    online = reconcile(state, seen + timedelta(minutes=21))
    assert online is not None
    assert online.change is Connectivity.ONLINE
