"""Issue 10 item 1 on a real broker: a rule change while readings flow restarts nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.kafka.topics import ensure_registry_topics
from chassis.principal import Role
from chassis.testing.eventually import eventually
from chassis.testing.principals import principal_headers
from iot_ingest.tables import alarms, bed_monitor_states
from iot_ingest.testing import kafka_settings, running_iot, wait_kafka_ready

pytestmark = [pytest.mark.kafka]


def _high(first_seq: int, count: int) -> list[dict]:
    start = datetime.now(UTC) + timedelta(seconds=1)  # after the first reading
    return [
        {
            "seq": first_seq + i,
            "ts": (start + timedelta(seconds=10 * i)).isoformat(),
            "metric": "heart_rate",
            "value": 135,
        }
        for i in range(count)
    ]


async def test_rule_change_while_readings_flow_keeps_the_engine_running(
    database_url: str, kafka_bootstrap: str, unique_name: str
) -> None:
    await ensure_registry_topics(kafka_bootstrap)
    # ticks every 0.2 s: the tick after the rule change is where the engine used to fail
    settings = kafka_settings(database_url, kafka_bootstrap, unique_name, monitor_tick_seconds=0.2)
    async with running_iot(settings) as iot:
        await wait_kafka_ready(iot)
        engine = iot.app.state.iot.rule_engine
        changed = await iot.add_device(await iot.add_bed())
        other = await iot.add_device(await iot.add_bed())
        # readings of both beds flow (motion keeps each bed's state in the engine)
        for device in (changed, other):
            ok = await iot.post_readings(
                device["token"],
                [
                    {
                        "seq": 0,
                        "ts": datetime.now(UTC).isoformat(),
                        "metric": "heart_rate",
                        "value": 70,
                    }
                ],
            )
            assert ok.status_code == 202, ok.text

        async def states_stored() -> int:
            async with iot.runtime.uow() as uow:
                rows = await uow.session.execute(
                    select(bed_monitor_states.c.bed_id).where(
                        bed_monitor_states.c.bed_id.in_([changed["bed_id"], other["bed_id"]])
                    )
                )
                return len(rows.all())

        await eventually(states_stored, until=lambda n: n == 2, what="both beds in the engine")
        put = await iot.client.put(
            f"/v1/beds/{changed['bed_id']}/rules",
            json={"disabled": ["heart_rate_high"], "reason": "pacemaker: see care plan 12"},
            headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
        )
        assert put.status_code == 200, put.text
        ticks = engine.tick_count

        async def ticked_after_change() -> bool:
            return engine.tick_count > ticks + 1

        await eventually(ticked_after_change, what="ticks after the rule change")
        for device in (changed, other):
            assert (await iot.post_readings(device["token"], _high(1, 8))).status_code == 202

        async def alarmed_beds() -> list[str]:
            async with iot.runtime.uow() as uow:
                rows = await uow.session.execute(
                    select(alarms.c.bed_id).where(
                        alarms.c.alarm_type == "heart_rate_high",
                        alarms.c.bed_id.in_([changed["bed_id"], other["bed_id"]]),
                    )
                )
                return sorted(rows.scalars())

        assert await eventually(alarmed_beds, what="alarm of the other bed") == [other["bed_id"]]
        assert engine.failures == 0  # no batch and no tick failed: the consumer never restarted
