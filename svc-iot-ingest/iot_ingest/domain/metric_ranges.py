"""Metrics devices may report, with unit and physically plausible range.

A value outside the range is refused rather than clamped: it is almost always a wrong unit
(98.6 for a body temperature in °F, 100 for a glucose in mg/dL) or a broken sensor.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    HEART_RATE = "heart_rate"
    RESPIRATION_RATE = "respiration_rate"
    SPO2 = "spo2"
    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    BODY_TEMP = "body_temp"
    BLOOD_GLUCOSE = "blood_glucose"
    MOTION = "motion"
    DOOR_OPEN = "door_open"
    BED_PRESENCE = "bed_presence"
    SLEEP_STATE = "sleep_state"
    BATTERY = "battery"
    RSSI = "rssi"
    STEPS = "steps"


class SleepState(StrEnum):
    """Codes of the `sleep_state` metric (001 Annex 3, 睡眠监测)."""

    AWAKE = "0"
    LIGHT = "1"
    DEEP = "2"
    REM = "3"


@dataclass(frozen=True)
class MetricSpec:
    metric: Metric
    unit: str
    minimum: float
    maximum: float
    whole_numbers: bool = False  # codes and flags: 0/1 or a small enumeration

    def accepts(self, value: float) -> bool:
        # written so that NaN fails both comparisons and is refused
        if not (self.minimum <= value <= self.maximum):
            return False
        return not self.whole_numbers or value == int(value)

    def describe_range(self) -> str:
        kind = "whole number " if self.whole_numbers else ""
        return f"{kind}{self.minimum:g}..{self.maximum:g} {self.unit}".rstrip()


METRICS: dict[str, MetricSpec] = {
    spec.metric.value: spec
    for spec in (
        MetricSpec(Metric.HEART_RATE, "bpm", 20, 250),
        MetricSpec(Metric.RESPIRATION_RATE, "/min", 4, 60),
        MetricSpec(Metric.SPO2, "%", 50, 100),
        MetricSpec(Metric.SYSTOLIC, "mmHg", 50, 260),
        MetricSpec(Metric.DIASTOLIC, "mmHg", 30, 160),
        MetricSpec(Metric.BODY_TEMP, "°C", 30, 43),
        MetricSpec(Metric.BLOOD_GLUCOSE, "mmol/L", 1, 35),
        MetricSpec(Metric.MOTION, "0/1", 0, 1, whole_numbers=True),
        MetricSpec(Metric.DOOR_OPEN, "0/1", 0, 1, whole_numbers=True),
        MetricSpec(Metric.BED_PRESENCE, "0/1", 0, 1, whole_numbers=True),
        MetricSpec(
            Metric.SLEEP_STATE, "code 0 awake, 1 light, 2 deep, 3 REM", 0, 3, whole_numbers=True
        ),
        MetricSpec(Metric.BATTERY, "%", 0, 100),
        MetricSpec(Metric.RSSI, "dBm", -130, 0),
        # a wearable's step count for the day so far: 100 000 is beyond any elder's day
        MetricSpec(Metric.STEPS, "steps today", 0, 100_000, whole_numbers=True),
    )
}
