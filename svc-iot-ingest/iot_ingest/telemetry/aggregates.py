"""1-minute aggregates per bed and metric, and the latest value per device and metric.

Built in memory from a batch of readings, then written in one statement (COPY on PostgreSQL);
rows for the same minute merge with what is already stored (count and sum add, min/max widen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class MinuteAggregate:
    bed_id: str
    metric: str
    minute: datetime
    count: int
    total: float
    minimum: float
    maximum: float

    def merge(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value


@dataclass
class LatestValue:
    device_id: str
    bed_id: str
    metric: str
    value: float
    ts: datetime
    seq: int


class BatchAggregator:
    def __init__(self) -> None:
        self.minutes: dict[tuple[str, str, datetime], MinuteAggregate] = {}
        self.latest: dict[tuple[str, str], LatestValue] = {}

    def add(
        self, *, device_id: str, bed_id: str, metric: str, value: float, ts: datetime, seq: int
    ) -> None:
        minute = ts.replace(second=0, microsecond=0)
        key = (bed_id, metric, minute)
        aggregate = self.minutes.get(key)
        if aggregate is None:
            self.minutes[key] = MinuteAggregate(bed_id, metric, minute, 1, value, value, value)
        else:
            aggregate.merge(value)
        latest_key = (device_id, metric)
        current = self.latest.get(latest_key)
        if current is None or ts >= current.ts:
            self.latest[latest_key] = LatestValue(device_id, bed_id, metric, value, ts, seq)

    def __bool__(self) -> bool:
        return bool(self.minutes)
