"""Alarm types, their severity and the seed clause each one serves.

Every alarm of any type falls under the 15-minute on-site rule (001 §四(三)2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.catalogue import DeviceEventKind


class AlarmType(StrEnum):
    # alarm lane: raised by a device event
    SOS_PRESSED = "sos_pressed"
    FALL_DETECTED = "fall_detected"
    SMOKE = "smoke"
    GAS = "gas"
    WATER_LEAK = "water_leak"
    BED_EXIT = "bed_exit"
    LEFT_SAFE_ZONE = "left_safe_zone"
    # rule engine: raised from telemetry
    HEART_RATE_HIGH = "heart_rate_high"
    HEART_RATE_LOW = "heart_rate_low"
    RESPIRATION_ABNORMAL = "respiration_abnormal"
    SPO2_LOW = "spo2_low"
    BLOOD_PRESSURE_HIGH = "blood_pressure_high"
    FEVER = "fever"
    BLOOD_GLUCOSE_LOW = "blood_glucose_low"
    INACTIVITY = "inactivity"
    NIGHT_BED_EXIT_NO_RETURN = "night_bed_exit_no_return"
    CUSTOM_RULE = "custom_rule"


@dataclass(frozen=True)
class AlarmTypeSpec:
    alarm_type: AlarmType
    label: str
    severity: AlarmSeverity
    citation: str


_C, _H, _M = AlarmSeverity.CRITICAL, AlarmSeverity.HIGH, AlarmSeverity.MEDIUM
_VITALS = "001 §四(三)2; 001 Annex 2 item 5 (发现异常自动提醒)"
ALARM_TYPES: dict[AlarmType, AlarmTypeSpec] = {
    spec.alarm_type: spec
    for spec in (
        AlarmTypeSpec(AlarmType.SOS_PRESSED, "紧急呼叫", _C, "001 §四(三)2; 000 Annex 2"),
        AlarmTypeSpec(AlarmType.FALL_DETECTED, "跌倒报警", _C, "001 Annex 2 item 3"),
        AlarmTypeSpec(AlarmType.SMOKE, "烟雾报警", _C, "000 Annex 2"),
        AlarmTypeSpec(AlarmType.GAS, "燃气报警", _C, "000 Annex 2"),
        AlarmTypeSpec(AlarmType.WATER_LEAK, "水浸报警", _H, "000 Annex 2"),
        AlarmTypeSpec(AlarmType.BED_EXIT, "离床报警", _M, "001 §四(三)2 (智能床垫)"),
        AlarmTypeSpec(AlarmType.LEFT_SAFE_ZONE, "走失报警", _H, "001 Annex 1 item 7"),
        AlarmTypeSpec(AlarmType.HEART_RATE_HIGH, "心率过快", _H, _VITALS),
        AlarmTypeSpec(AlarmType.HEART_RATE_LOW, "心率过缓", _H, _VITALS),
        AlarmTypeSpec(AlarmType.RESPIRATION_ABNORMAL, "呼吸异常", _H, _VITALS),
        AlarmTypeSpec(AlarmType.SPO2_LOW, "血氧过低", _H, _VITALS),
        AlarmTypeSpec(AlarmType.BLOOD_PRESSURE_HIGH, "血压过高", _H, _VITALS),
        AlarmTypeSpec(AlarmType.FEVER, "发热", _M, _VITALS),
        AlarmTypeSpec(AlarmType.BLOOD_GLUCOSE_LOW, "低血糖", _H, _VITALS),
        AlarmTypeSpec(
            AlarmType.INACTIVITY,
            "日间长时间无活动",
            _M,
            "001 §四(三)2 (预警提示); 001 Annex 2 item 3 (日间实时活动监测)",
        ),
        AlarmTypeSpec(
            AlarmType.NIGHT_BED_EXIT_NO_RETURN,
            "夜间离床未归",
            _H,
            "001 §四(三)2 (智能床垫); 001 Annex 3 (睡眠监测)",
        ),
        AlarmTypeSpec(AlarmType.CUSTOM_RULE, "自定义预警", _M, "001 §四(三)2 (预警提示)"),
    )
}

ALARM_TYPE_OF_EVENT: dict[DeviceEventKind, AlarmType] = {
    kind: AlarmType(kind.value) for kind in DeviceEventKind
}
