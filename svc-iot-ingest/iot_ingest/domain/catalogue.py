"""The device catalogue: what each device type of 000 Annex 2 / 001 Annex 2 may send, and the
smart wearables 000 §三(三) and 001 §四(三)2 name.

001 Annex 2 requires every device to feed data back to the provider's monitoring centre in real
time ("数据实时反馈到机构后台监控中心"); the heartbeat timeouts below are our operating choice for
"real time" per kind of device (battery sensors report rarely, powered monitors often).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from homebed_schemas.events.iot import DeviceType
from iot_ingest.domain.metric_ranges import Metric


class DeviceEventKind(StrEnum):
    """Events of the alarm lane (POST /v1/device-events): each raises an alarm at once."""

    SOS_PRESSED = "sos_pressed"
    FALL_DETECTED = "fall_detected"
    SMOKE = "smoke"
    GAS = "gas"
    WATER_LEAK = "water_leak"
    BED_EXIT = "bed_exit"
    LEFT_SAFE_ZONE = "left_safe_zone"


@dataclass(frozen=True)
class DeviceSpec:
    device_type: DeviceType
    label: str
    metrics: frozenset[Metric]
    events: frozenset[DeviceEventKind]
    heartbeat_timeout: timedelta
    citation: str

    def may_send_metric(self, metric: Metric) -> bool:
        return metric in self.metrics

    def may_send_event(self, kind: DeviceEventKind) -> bool:
        return kind in self.events


_RADIO = frozenset({Metric.BATTERY, Metric.RSSI})
_VITALS = frozenset(
    {
        Metric.HEART_RATE,
        Metric.RESPIRATION_RATE,
        Metric.SPO2,
        Metric.SYSTOLIC,
        Metric.DIASTOLIC,
        Metric.BODY_TEMP,
        Metric.BLOOD_GLUCOSE,
    }
)


def _spec(
    device_type: DeviceType,
    label: str,
    metrics: frozenset[Metric],
    events: tuple[DeviceEventKind, ...],
    heartbeat_minutes: int,
    citation: str,
) -> DeviceSpec:
    return DeviceSpec(
        device_type=device_type,
        label=label,
        metrics=metrics,
        events=frozenset(events),
        heartbeat_timeout=timedelta(minutes=heartbeat_minutes),
        citation=citation,
    )


_E = DeviceEventKind
CATALOGUE: dict[DeviceType, DeviceSpec] = {
    spec.device_type: spec
    for spec in (
        _spec(
            DeviceType.EMERGENCY_BUTTON,
            "紧急呼叫设备（按键报警器）",
            _RADIO,
            (_E.SOS_PRESSED,),
            60,
            "000 Annex 2; 001 Annex 2 item 2",
        ),
        _spec(
            DeviceType.PIR_MOTION,
            "人体红外探测器",
            _RADIO | {Metric.MOTION},
            (),
            30,
            "000 Annex 2 (活动监测设备); 001 Annex 2 item 3",
        ),
        _spec(
            DeviceType.DOOR_CONTACT,
            "门磁报警器",
            _RADIO | {Metric.DOOR_OPEN},
            (),
            60,
            "000 Annex 2 (活动监测设备)",
        ),
        # 001 Annex 2 item 3: fall alarm plus daytime real-time activity monitoring
        _spec(
            DeviceType.FALL_DETECTOR,
            "跌倒报警器",
            _RADIO | {Metric.MOTION},
            (_E.FALL_DETECTED,),
            10,
            "000 Annex 2 (活动监测设备); 001 Annex 2 item 3",
        ),
        _spec(DeviceType.SMOKE, "烟雾感应器", _RADIO, (_E.SMOKE,), 60, "000 Annex 2"),
        _spec(DeviceType.GAS, "燃气报警器", _RADIO, (_E.GAS,), 30, "000 Annex 2"),
        _spec(DeviceType.WATER_LEAK, "水浸报警器", _RADIO, (_E.WATER_LEAK,), 60, "000 Annex 2"),
        _spec(
            DeviceType.CAMERA,
            "视频监控设备",
            frozenset({Metric.RSSI, Metric.MOTION}),
            (_E.FALL_DETECTED,),
            5,
            "000 Annex 2; 001 Annex 2 item 4",
        ),
        _spec(
            DeviceType.VITAL_SIGNS_MONITOR,
            "生命体征监测设备",
            _RADIO | _VITALS,
            (),
            5,
            "000 Annex 2; 001 Annex 2 item 5",
        ),
        _spec(
            DeviceType.SMART_MATTRESS,
            "智能床垫",
            frozenset(
                {
                    Metric.RSSI,
                    Metric.HEART_RATE,
                    Metric.RESPIRATION_RATE,
                    Metric.BED_PRESENCE,
                    Metric.SLEEP_STATE,
                    Metric.MOTION,
                }
            ),
            (_E.BED_EXIT,),
            5,
            "001 §四(三)2 (智能床垫); 001 Annex 3 (睡眠监测)",
        ),
        _spec(
            DeviceType.LOCATION_TAG,
            "防走失装置",
            _RADIO,
            (_E.LEFT_SAFE_ZONE, _E.SOS_PRESSED),
            15,
            "001 Annex 1 item 7",
        ),
        # 001 Annex 2 item 1 "保证信号传输稳定": the home's link to the platform. It reports its
        # signal only; its silence (offline) is what matters, so it is watched closely.
        _spec(
            DeviceType.NETWORK_GATEWAY,
            "网络连接设备",
            frozenset({Metric.RSSI}),
            (),
            5,
            "001 Annex 2 item 1",
        ),
        # 000 §三(三) 智能穿戴; 001 §四(三)2 "智能穿戴等设施设备远程监测老年人生命健康体征数据":
        # vital signs, steps, a fall or SOS, and leaving the safe zone (location stays on the
        # device and the platform's geofence: only the event is sent).
        _spec(
            DeviceType.SMART_WEARABLE,
            "智能穿戴设备（手环、手表）",
            _RADIO | {Metric.HEART_RATE, Metric.SPO2, Metric.STEPS},
            (_E.SOS_PRESSED, _E.FALL_DETECTED, _E.LEFT_SAFE_ZONE),
            15,
            "000 §三(三); 001 §四(三)2",
        ),
    )
}


def spec_of(device_type: DeviceType) -> DeviceSpec:
    return CATALOGUE[device_type]


# Metrics that show someone moving in the home (a visit's corroboration): value >= 1 is activity.
PRESENCE_METRICS = frozenset({Metric.MOTION.value, Metric.DOOR_OPEN.value})


def presence_device_types() -> frozenset[str]:
    """Device types of the catalogue that can see someone in the home."""
    return frozenset(
        spec.device_type.value
        for spec in CATALOGUE.values()
        if any(m.value in PRESENCE_METRICS for m in spec.metrics)
    )
