"""1-minute aggregates per bed and metric, and the latest value per device and metric.

Built in memory from a batch of readings, then written in one statement (COPY on PostgreSQL);
rows for the same minute merge with what is already stored (count and sum add, min/max widen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

ONE_MINUTE = timedelta(minutes=1)


class Reading(Protocol):
    """What the aggregator reads of a reading (`ReadingIn`)."""

    @property
    def seq(self) -> int: ...
    @property
    def ts(self) -> datetime: ...
    @property
    def metric(self) -> str: ...
    @property
    def value(self) -> float: ...


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

    def add_readings(
        self,
        device_id: str,
        bed_id: str,
        readings: Iterable[Reading],
        highs: dict[tuple[str, str], int],
    ) -> None:
        """`add` for each of one device's readings whose seq is above `highs[(device, metric)]`
        (a replay is skipped; `highs` moves on), in one loop: the storage consumer's hot path
        (tens of thousands of readings a second), with the same result as reading by reading.

        The latest value per metric is picked within the readings first (the last of the
        latest `ts`), then against what the aggregator holds: the same as `add` one by one,
        since a reading replaces the held one exactly when its `ts` is the running maximum.
        """
        minutes = self.minutes
        newest: dict[str, Reading] = {}
        minute: datetime | None = None
        minute_end = minute
        for reading in readings:
            metric = reading.metric
            key = (device_id, metric)
            seq = reading.seq
            if seq <= highs.get(key, -1):
                continue
            highs[key] = seq
            ts = reading.ts
            if minute is None or minute_end is None or not minute <= ts < minute_end:
                minute = ts.replace(second=0, microsecond=0)
                minute_end = minute + ONE_MINUTE
            value = reading.value
            aggregate = minutes.get((bed_id, metric, minute))
            if aggregate is None:
                minutes[(bed_id, metric, minute)] = MinuteAggregate(
                    bed_id, metric, minute, 1, value, value, value
                )
            else:
                aggregate.count += 1
                aggregate.total += value
                if value < aggregate.minimum:
                    aggregate.minimum = value
                if value > aggregate.maximum:
                    aggregate.maximum = value
            held = newest.get(metric)
            if held is None or ts >= held.ts:
                newest[metric] = reading
        latest = self.latest
        for metric, reading in newest.items():
            current = latest.get((device_id, metric))
            if current is None or reading.ts >= current.ts:
                latest[(device_id, metric)] = LatestValue(
                    device_id, bed_id, metric, reading.value, reading.ts, reading.seq
                )

    def __bool__(self) -> bool:
        return bool(self.minutes)
