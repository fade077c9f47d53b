"""Storage projector: latest value per device and metric, 1-minute aggregates per bed and metric.

A poll of telemetry becomes one batch of rows. On PostgreSQL the aggregates go through COPY into
a temporary table and merge with one INSERT .. ON CONFLICT; on SQLite an executemany upsert.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text

from chassis.db import UnitOfWork
from chassis.kafka.batch import Records
from chassis.upsert import dialect_name
from iot_ingest.tables import latest_values
from iot_ingest.telemetry.aggregates import BatchAggregator
from iot_ingest.telemetry.codec import TelemetryData, decode_telemetry

_MERGE_AGGREGATES = """
INSERT INTO minute_aggregates AS m (bed_id, metric, minute, count, total, minimum, maximum)
SELECT bed_id, metric, minute, count, total, minimum, maximum FROM {source}
ON CONFLICT (bed_id, metric, minute) DO UPDATE SET
  count = m.count + excluded.count,
  total = m.total + excluded.total,
  minimum = CASE WHEN excluded.minimum < m.minimum THEN excluded.minimum ELSE m.minimum END,
  maximum = CASE WHEN excluded.maximum > m.maximum THEN excluded.maximum ELSE m.maximum END
"""
_SQLITE_UPSERT_AGGREGATE = """
INSERT INTO minute_aggregates AS m (bed_id, metric, minute, count, total, minimum, maximum)
VALUES (:bed_id, :metric, :minute, :count, :total, :minimum, :maximum)
ON CONFLICT (bed_id, metric, minute) DO UPDATE SET
  count = m.count + excluded.count,
  total = m.total + excluded.total,
  minimum = MIN(m.minimum, excluded.minimum),
  maximum = MAX(m.maximum, excluded.maximum)
"""
_UPSERT_LATEST = """
INSERT INTO latest_values AS l (device_id, metric, bed_id, value, ts, seq)
VALUES (:device_id, :metric, :bed_id, :value, :ts, :seq)
ON CONFLICT (device_id, metric) DO UPDATE SET
  bed_id = excluded.bed_id, value = excluded.value, ts = excluded.ts, seq = excluded.seq
WHERE excluded.ts >= l.ts
"""


async def _stored_highs(
    uow: UnitOfWork, batches: list[TelemetryData]
) -> dict[tuple[str, str], int]:
    """The highest seq already stored per (device, metric): `latest_values.seq`."""
    devices = {data.device_id for data in batches}
    if not devices:
        return {}
    rows = await uow.session.execute(
        select(latest_values.c.device_id, latest_values.c.metric, latest_values.c.seq).where(
            latest_values.c.device_id.in_(sorted(devices))
        )
    )
    return {(device, metric): int(seq) for device, metric, seq in rows.all()}


def _decoded(records: Records) -> list[TelemetryData]:
    return [decode_telemetry(r.value).data for r in records if r.value is not None]


async def aggregate(
    records: Records, highs: dict[tuple[str, str], int] | None = None
) -> BatchAggregator:
    """Readings of `records`, each (device, seq) once: a seq at or below the device's high-water
    mark for that metric is a replay (a batch the lane answered 503 to, because Kafka's ack came
    too late, and that the device then sent again) and is skipped, as the rule engine does."""
    return await _aggregate(_decoded(records), highs)


async def _aggregate(
    batches: list[TelemetryData], highs: dict[tuple[str, str], int] | None
) -> BatchAggregator:
    highs = dict(highs or {})
    aggregator = BatchAggregator()
    for index, data in enumerate(batches):
        if index % 20 == 19:
            await asyncio.sleep(0)  # let HTTP requests in between (single-process mode)
        aggregator.add_readings(data.device_id, data.bed_id, data.readings, highs)
    return aggregator


async def project_storage(uow: UnitOfWork, records: Records) -> None:
    batches = _decoded(records)  # once: the stored highs and the aggregates read them
    aggregator = await _aggregate(batches, await _stored_highs(uow, batches))
    if not aggregator:
        return
    postgres = dialect_name(uow) == "postgresql"
    latest = [
        {
            "device_id": v.device_id,
            "metric": v.metric,
            "bed_id": v.bed_id,
            "value": v.value,
            "ts": _db_time(v.ts, postgres),
            "seq": v.seq,
        }
        for v in aggregator.latest.values()
    ]
    await uow.session.execute(text(_UPSERT_LATEST), latest)
    if postgres:
        await _copy_aggregates(uow, aggregator)
        return
    rows = [
        {
            "bed_id": a.bed_id,
            "metric": a.metric,
            "minute": _db_time(a.minute, False),
            "count": a.count,
            "total": a.total,
            "minimum": a.minimum,
            "maximum": a.maximum,
        }
        for a in aggregator.minutes.values()
    ]
    await uow.session.execute(text(_SQLITE_UPSERT_AGGREGATE), rows)


def _db_time(value: datetime, postgres: bool) -> datetime | str:
    # raw SQL bypasses UtcDateTime: on SQLite write the naive UTC text SQLAlchemy itself writes
    utc = value.astimezone(UTC)
    return utc if postgres else utc.strftime("%Y-%m-%d %H:%M:%S.%f")


async def _copy_aggregates(uow: UnitOfWork, aggregator: BatchAggregator) -> None:
    connection = await uow.session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection  # asyncpg.Connection
    await driver.execute(
        "CREATE TEMP TABLE IF NOT EXISTS incoming_minute_aggregates "
        "(LIKE minute_aggregates INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    await driver.copy_records_to_table(
        "incoming_minute_aggregates",
        records=[
            (a.bed_id, a.metric, a.minute, a.count, a.total, a.minimum, a.maximum)
            for a in aggregator.minutes.values()
        ],
        columns=["bed_id", "metric", "minute", "count", "total", "minimum", "maximum"],
    )
    await driver.execute(_MERGE_AGGREGATES.format(source="incoming_minute_aggregates"))
