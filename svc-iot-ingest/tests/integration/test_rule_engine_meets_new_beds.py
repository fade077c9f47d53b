"""Issue 15, "done when": the rule engine meets beds it has not seen, at startup and across
rebalances, on a real broker, without a failed batch (which restarts the consumer's poll).

The rule-change case is test_rule_changes_kafka.py. The issue's bench log showed `KeyError` at
`apply` right after a start: a bed missing from the engine's caches. Here: a restarted engine
holds its beds' states before its first batch, and beds that are new or that move between two
engines of one consumer group raise their alarms, with `failures == 0` on both engines.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from chassis.kafka.topics import ensure_registry_topics
from chassis.testing.eventually import eventually
from homebed_schemas.topics import IOT_TELEMETRY
from iot_ingest.streams.partitions import partition_of
from iot_ingest.tables import alarms, bed_monitor_states
from iot_ingest.testing import Iot, kafka_settings, running_iot, wait_kafka_ready

pytestmark = [pytest.mark.kafka]


class Timeline:
    """Each device's readings continue where its last ones stopped: heart rate every 10 s, 80 s
    per post (heart_rate_high needs 60 s above 120 to raise and 60 s at or below 110 to clear).
    It starts 4 minutes ago: four posts still end in the near future, and no reading is late
    (more than 5 minutes old when it arrives: stored, not evaluated)."""

    def __init__(self) -> None:
        self.start: datetime | None = None  # at the first post
        self.next: dict[str, tuple[datetime, int]] = {}

    def readings(self, device_id: str, value: float) -> list[dict[str, Any]]:
        self.start = self.start or datetime.now(UTC) - timedelta(minutes=4)
        at, seq = self.next.get(device_id, (self.start, 0))
        batch = [
            {
                "seq": seq + i,
                "ts": (at + timedelta(seconds=10 * i)).isoformat(),
                "metric": "heart_rate",
                "value": value,
            }
            for i in range(8)
        ]
        self.next[device_id] = (at + timedelta(seconds=80), seq + 8)
        return batch


async def _post(iot: Iot, timeline: Timeline, device: dict[str, Any], value: float) -> None:
    readings = timeline.readings(device["device_id"], value)
    response = await iot.post_readings(device["token"], readings)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == len(readings), response.text


async def _alarm_counts(iot: Iot, bed_ids: list[str]) -> dict[str, int]:
    """heart_rate_high alarms per bed: their `count` (raised 1, each repeat one more)."""
    async with iot.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(alarms.c.bed_id, alarms.c.count).where(
                alarms.c.alarm_type == "heart_rate_high", alarms.c.bed_id.in_(bed_ids)
            )
        )
        return {r.bed_id: int(r.count) for r in rows}


async def _stored_states(iot: Iot, bed_ids: list[str]) -> int:
    async with iot.runtime.uow() as uow:
        rows = await uow.session.execute(
            select(bed_monitor_states.c.bed_id).where(bed_monitor_states.c.bed_id.in_(bed_ids))
        )
        return len(rows.all())


async def test_a_restarted_engine_holds_its_beds_before_consuming_and_meets_new_ones(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    settings = kafka_settings(database_url, kafka_bootstrap, unique_name)
    timeline = Timeline()
    async with running_iot(settings) as first:
        await wait_kafka_ready(first)
        known = await first.add_device(await first.add_bed())
        await _post(first, timeline, known, 70)
        await eventually(
            lambda: _stored_states(first, [known["bed_id"]]),
            until=lambda n: n == 1,
            what="the bed's state stored",
        )

    # the same consumer group starts again: its stored offsets, its beds' stored states
    async with running_iot(settings) as again:
        await wait_kafka_ready(again)
        engine = again.app.state.iot.rule_engine
        assert engine.knows(known["bed_id"])  # read at the assignment, before any batch
        new = await again.add_device(await again.add_bed())
        await _post(again, timeline, new, 70)
        for device in (known, new):
            await _post(again, timeline, device, 135)
        beds = [known["bed_id"], new["bed_id"]]
        counts = await eventually(
            lambda: _alarm_counts(again, beds), until=lambda c: len(c) == 2, what="both alarms"
        )
        assert counts == {known["bed_id"]: 1, new["bed_id"]: 1}
        assert engine.failures == 0


async def test_beds_moving_between_two_engines_of_the_group_raise_their_alarms(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    partitions = IOT_TELEMETRY.partitions
    timeline = Timeline()
    settings = kafka_settings(database_url, kafka_bootstrap, unique_name)
    # a second instance of the rule engine only: the same rules group, no storage or loops
    helper = kafka_settings(
        database_url, kafka_bootstrap, unique_name, storage_enabled=False, loops_enabled=False
    )
    async with running_iot(settings) as one:
        await wait_kafka_ready(one)
        first = one.app.state.iot.rule_engine
        assert len(first.owned_partitions) == partitions
        # beds on every partition, so that any split of the group moves some of them
        devices: dict[int, dict[str, Any]] = {}
        while len(devices) < partitions:
            bed_id = f"bed-{uuid.uuid4().hex[:8]}"
            devices.setdefault(partition_of(bed_id, partitions), {"bed_id": bed_id})
        for partition, entry in devices.items():
            devices[partition] = await one.add_device(await one.add_bed(entry["bed_id"]))
        beds = [d["bed_id"] for d in devices.values()]
        for device in devices.values():
            await _post(one, timeline, device, 70)  # every bed known to the first engine
        await eventually(
            lambda: _stored_states(one, beds), until=lambda n: n == len(beds), what="states"
        )

        async with running_iot(helper) as two:
            second = two.app.state.iot.rule_engine
            await eventually(
                lambda: _value(len(first.owned_partitions) + len(second.owned_partitions)),
                until=lambda n: n == partitions and bool(second.owned_partitions),
                what="the group split between the two engines",
            )
            for device in devices.values():
                await _post(one, timeline, device, 135)
            counts = await eventually(
                lambda: _alarm_counts(one, beds),
                until=lambda c: len(c) == len(beds),
                what="an alarm for every bed, raised by whichever engine owns it",
            )
            assert set(counts.values()) == {1}
            moved = [b for b in beds if partition_of(b, partitions) in second.owned_partitions]
            assert moved, "the second engine took over some beds"

        # the second engine left: the first takes its beds back, states as the second left them
        await eventually(
            lambda: _value(len(first.owned_partitions)),
            until=lambda n: n == partitions,
            what="the first engine owning every partition again",
        )
        for device in devices.values():  # the condition clears, then comes back: a repeat
            await _post(one, timeline, device, 70)
            await _post(one, timeline, device, 135)
        await eventually(
            lambda: _alarm_counts(one, beds),
            until=lambda c: set(c.values()) == {2},
            what="a repeat of every bed's alarm",
        )
        assert first.failures == 0
        assert second.failures == 0


async def _value(value: object) -> object:
    return value
