"""Issue 16: on PostgreSQL the alarm lane reads the device with everything else in one query and
writes a fall's alarm, feed and receipt rows with one statement. The rows, the outbox event,
the retry (same seq: the same alarm) and the repeat (another seq: the count) are as before."""

import asyncio

import httpx
import pytest
from sqlalchemy import select

from iot_ingest.settings import Settings
from iot_ingest.tables import CHASSIS_TABLES, alarm_feed, alarms, device_event_receipts
from iot_ingest.testing import QUIET_LOOPS, Iot, now_iso, running_iot

pytestmark = [pytest.mark.postgres]


async def _fall(iot: Iot, token: str, seq: int) -> httpx.Response:
    return await iot.client.post(
        "/v1/device-events",
        json={"seq": seq, "ts": now_iso(), "kind": "fall_detected"},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_a_fall_writes_its_rows_and_retries_and_repeats_find_them(postgres_url: str) -> None:
    settings = Settings(database_url=postgres_url, kafka_enabled=False, **QUIET_LOOPS)
    async with running_iot(settings) as iot:
        bed = await iot.add_bed()
        device = await iot.add_device(bed, "fall_detector")
        raised = await _fall(iot, device["token"], 1)
        assert raised.status_code == 201, raised.text
        alarm_id = raised.json()["alarm_id"]
        retried = await _fall(iot, device["token"], 1)
        assert (retried.status_code, retried.json()["alarm_id"]) == (200, alarm_id)
        repeated = await _fall(iot, device["token"], 2)
        assert repeated.status_code == 201, repeated.text
        assert (repeated.json()["alarm_id"], repeated.json()["count"]) == (alarm_id, 2)
        # concurrent retries of one new seq: one raise, the others answer its alarm
        answers = await asyncio.gather(*(_fall(iot, device["token"], 3) for _ in range(4)))
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
        assert {a.json()["alarm_id"] for a in answers} == {alarm_id}
        async with iot.runtime.uow() as uow:
            row = (await uow.session.execute(select(alarms))).one()
            assert (row.alarm_id, row.bed_id, row.count, row.status) == (
                alarm_id,
                bed,
                3,
                "raised",
            )
            assert row.escalated_levels == []
            assert row.raised_at.tzinfo is not None
            receipts = (await uow.session.execute(select(device_event_receipts))).all()
            assert sorted((r.seq, r.alarm_id) for r in receipts) == [
                (1, alarm_id),
                (2, alarm_id),
                (3, alarm_id),
            ]
            feed_query = select(alarm_feed.c.event_type).order_by(alarm_feed.c.id)
            feed = (await uow.session.execute(feed_query)).scalars().all()
            assert feed == ["alarm.raised", "alarm.repeated", "alarm.repeated"]
            outbox = CHASSIS_TABLES.outbox
            alarm_events = select(outbox.c.event_type).where(outbox.c.topic == "iot.alarms.v1")
            events = (await uow.session.execute(alarm_events)).scalars().all()
            assert sorted(events) == ["alarm.raised", "alarm.repeated", "alarm.repeated"]
