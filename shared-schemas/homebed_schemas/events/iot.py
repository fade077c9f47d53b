"""Payloads of `iot.devices.v1`, `iot.telemetry.v1` and `iot.alarms.v1` (svc-iot-ingest)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class DeviceType(StrEnum):
    """Smart devices of 000 Annex 2 and 001 Annex 2, and the wearables of 000 §三(三)."""

    EMERGENCY_BUTTON = "emergency_button"  # 紧急呼叫
    PIR_MOTION = "pir_motion"  # 红外人体感应
    DOOR_CONTACT = "door_contact"  # 门磁
    FALL_DETECTOR = "fall_detector"  # 跌倒报警
    SMOKE = "smoke"  # 烟感
    GAS = "gas"  # 燃气
    WATER_LEAK = "water_leak"  # 水浸
    CAMERA = "camera"  # 视频
    VITAL_SIGNS_MONITOR = "vital_signs_monitor"  # 生命体征监测
    SMART_MATTRESS = "smart_mattress"  # 智能床垫
    LOCATION_TAG = "location_tag"  # 防走失定位
    NETWORK_GATEWAY = "network_gateway"  # 网络连接设备 (001 Annex 2 item 1)
    SMART_WEARABLE = "smart_wearable"  # 智能穿戴 (000 §三(三); 001 §四(三)2)


class AlarmSeverity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DeviceEvent(_Payload):
    device_id: str
    bed_id: str
    provider_id: str
    device_type: DeviceType
    serial: str
    occurred_at: datetime
    last_seen_at: datetime | None = Field(
        default=None, description="offline/online: when the device was last heard from"
    )


class Reading(_Payload):
    seq: int = Field(ge=0)
    ts: datetime
    metric: str
    value: float


class TelemetryBatch(_Payload):
    """Readings of one device, keyed by bed_id; consumers dedupe on (device_id, seq)."""

    device_id: str
    bed_id: str
    provider_id: str
    device_type: DeviceType
    readings: list[Reading]


class AlarmEvent(_Payload):
    alarm_id: str
    bed_id: str
    provider_id: str
    previous_provider_id: str | None = Field(
        default=None,
        description="handed_over: the provider the alarm left when its bed moved to "
        "`provider_id` (intake's bed.provider_changed, 001 §四(六))",
    )
    alarm_type: str
    severity: AlarmSeverity
    status: str
    count: int = Field(ge=1)
    raised_at: datetime
    arrival_deadline: datetime = Field(description="raised_at + 15 minutes (001 §四(三)2)")
    device_id: str | None = None
    rule_id: str | None = None
    actor: str | None = None
    assignee: str | None = None
    outcome: str | None = None
    note: str | None = None
    escalation_level: int | None = None
    escalation_target: str | None = Field(
        default=None, description="role or office alerted by an escalation, e.g. duty_manager"
    )
    sla_breached: bool = Field(default=False, description="nobody on site by arrival_deadline")
    detail: str | None = Field(default=None, description="what fired: rule condition or event")
    occurred_at: datetime


DEVICE_EVENTS: dict[str, type[BaseModel]] = {
    f"device.{name}": DeviceEvent for name in ("registered", "removed", "offline", "online")
}
TELEMETRY_EVENTS: dict[str, type[BaseModel]] = {"telemetry.batch": TelemetryBatch}
ALARM_EVENTS: dict[str, type[BaseModel]] = {
    f"alarm.{name}": AlarmEvent
    for name in (
        "raised",
        "repeated",
        "acknowledged",
        "dispatched",
        "arrived",
        "resolved",
        "commented",
        "cleared",
        "escalated",
        "sla_breached",
        # a provider admin asked to close a breached alarm nobody reached; a second one agreed
        "close_requested",
        "closed_without_arrival",
        # the bed moved to another provider (bed.provider_changed): the open alarm is theirs;
        # a worker of the old provider it was dispatched to is released (`note` says who)
        "handed_over",
    )
}
