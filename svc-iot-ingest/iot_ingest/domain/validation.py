"""Per-reading validation of a telemetry batch: each reading is accepted or refused on its own.

This runs on the hot path (tens of thousands of readings a second), so it is one loop of dict
look-ups and comparisons with no allocation for accepted readings beyond the result list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from iot_ingest.domain.catalogue import DeviceSpec
from iot_ingest.domain.metric_ranges import METRICS

MAX_CLOCK_AHEAD = timedelta(minutes=5)
# A reading older than this when it arrives is "late": accepted and stored (latest values,
# minute aggregates) but not evaluated by the real-time rules, which would otherwise raise
# alarms for conditions long past; the answer counts them (`late`). Equal to the rules'
# staleness (`MonitorSettings.stale_after`).
LATE_AFTER = timedelta(minutes=5)


class ReadingIn(msgspec.Struct, frozen=True, gc=False):
    """One reading as a device sends it: `{seq, ts, metric, value}`."""

    seq: int
    ts: datetime
    metric: str
    value: float


class RefusalReason(StrEnum):
    FUTURE_TIMESTAMP = "future_timestamp"
    NAIVE_TIMESTAMP = "timestamp_without_timezone"
    UNKNOWN_METRIC = "unknown_metric"
    METRIC_NOT_ALLOWED = "metric_not_allowed_for_device_type"
    OUT_OF_RANGE = "out_of_range"
    NEGATIVE_SEQ = "negative_seq"


@dataclass(frozen=True)
class Refusal:
    index: int
    seq: int
    reason: RefusalReason
    detail: str


@dataclass
class ValidatedBatch:
    accepted: list[ReadingIn] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    late: int = 0  # of the accepted, how many are older than LATE_AFTER


def validate_readings(
    device: DeviceSpec, readings: Sequence[ReadingIn], *, now: datetime
) -> ValidatedBatch:
    """Split readings into accepted and refused (with reason), keeping the batch order."""
    result = ValidatedBatch()
    latest_allowed = now + MAX_CLOCK_AHEAD
    earliest_live = now - LATE_AFTER
    allowed = device.metrics
    accepted = result.accepted
    for index, reading in enumerate(readings):
        spec = METRICS.get(reading.metric)
        reason: RefusalReason | None = None
        detail = ""
        if reading.seq < 0:
            reason, detail = RefusalReason.NEGATIVE_SEQ, "seq must be >= 0"
        elif spec is None:
            reason, detail = RefusalReason.UNKNOWN_METRIC, f"unknown metric {reading.metric!r}"
        elif spec.metric not in allowed:
            reason = RefusalReason.METRIC_NOT_ALLOWED
            detail = f"a {device.device_type.value} does not send {reading.metric}"
        elif reading.ts.tzinfo is None:
            reason, detail = RefusalReason.NAIVE_TIMESTAMP, "ts must carry a UTC offset"
        elif reading.ts > latest_allowed:
            reason = RefusalReason.FUTURE_TIMESTAMP
            detail = "ts is more than 5 minutes in the future"
        elif not spec.accepts(reading.value):
            reason = RefusalReason.OUT_OF_RANGE
            detail = f"{reading.value!r} outside {spec.describe_range()}"
        if reason is None:
            accepted.append(reading)
            if reading.ts < earliest_live:
                result.late += 1
        else:
            result.refused.append(Refusal(index, reading.seq, reason, detail))
    return result
