"""The escalation, liveness and seq-flush loops as the service runs them (short poll intervals),
on a clock the test drives: each loop's effect appears once the clock says it is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from chassis.clock import ManualClock
from chassis.testing.eventually import eventually
from homebed_schemas.envelope import Envelope
from iot_ingest.settings import Settings
from iot_ingest.tables import devices
from iot_ingest.testing import QUIET_LOOPS, running_iot


async def _events(iot) -> list[Envelope]:
    async with iot.runtime.uow() as uow:
        outbox = uow.tables.outbox
        rows = await uow.session.scalars(select(outbox.c.payload).order_by(outbox.c.id))
        return [Envelope.model_validate_json(r) for r in rows.all()]


async def _device_row(iot, device_id: str):
    async with iot.runtime.uow() as uow:
        return (
            await uow.session.execute(select(devices).where(devices.c.device_id == device_id))
        ).one()


async def test_escalation_liveness_and_flush_loops_run_on_the_injected_clock(
    sqlite_url: str,
) -> None:
    start = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
    clock = ManualClock(start)
    settings = Settings(
        database_url=sqlite_url,
        kafka_enabled=False,
        **{
            **QUIET_LOOPS,
            "escalation_poll_seconds": 0.02,
            "liveness_poll_seconds": 0.02,
            "seq_flush_seconds": 0.02,
        },
    )
    async with running_iot(settings, clock=clock) as iot:
        bed = await iot.add_bed()
        monitor = await iot.add_device(bed)
        fall = await iot.add_device(bed, "fall_detector")

        # flush loop: the lane's seq marks and "last heard" reach the devices table
        readings = [
            {"seq": s, "ts": start.isoformat(), "metric": "heart_rate", "value": 70}
            for s in range(5)
        ]
        assert (await iot.post_readings(monitor["token"], readings)).status_code == 202
        row = await eventually(
            lambda: _device_row(iot, monitor["device_id"]),
            until=lambda r: r.last_seq == 4,
            what="seq marks flushed",
        )
        assert row.last_seen_at == start  # the injected clock's time, not the wall's

        # escalation loop: nothing is due until the clock passes the first step
        raised = await iot.client.post(
            "/v1/device-events",
            json={"seq": 1, "ts": start.isoformat(), "kind": "fall_detected"},
            headers={"Authorization": f"Bearer {fall['token']}"},
        )
        assert raised.status_code == 201
        alarm_id = raised.json()["alarm_id"]

        def escalated(events: list[Envelope]) -> list[Envelope]:
            return [e for e in events if e.type == "alarm.escalated" and e.subject == alarm_id]

        # a loop round or more at the raise time escalates nothing (no sleep: the flush loop
        # runs in the same rounds, so its next change proves the loops have turned)
        assert (
            await iot.post_readings(monitor["token"], [{**readings[0], "seq": 5}])
        ).status_code == 202
        await eventually(
            lambda: _device_row(iot, monitor["device_id"]),
            until=lambda r: r.last_seq == 5,
            what="another round of the loops",
        )
        assert escalated(await _events(iot)) == []
        clock.advance(seconds=121)
        events = await eventually(
            lambda: _events(iot), until=lambda es: bool(escalated(es)), what="escalation"
        )
        [step] = escalated(events)
        assert start < step.time <= clock()  # a step the driven clock made due

        # liveness loop: silent for a day, the monitor goes offline (a device.* event)
        def offline(events: list[Envelope]) -> list[Envelope]:
            return [
                e
                for e in events
                if e.type.endswith("offline") and e.data.get("device_id") == monitor["device_id"]
            ]

        assert offline(await _events(iot)) == []
        clock.advance(timedelta(days=1))
        [went_offline] = offline(
            await eventually(
                lambda: _events(iot), until=lambda es: bool(offline(es)), what="offline"
            )
        )
        assert (await _device_row(iot, monitor["device_id"])).online is False
        assert went_offline.data.get("last_seen_at") in (
            None,
            start.isoformat().replace("+00:00", "Z"),
            start.isoformat(),
        )
