"""Rule engine and storage projector on the database, fed records as the consumer would."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chassis.db import create_engine
from chassis.migrations import upgrade_to_head
from homebed_schemas.envelope import Envelope
from iot_ingest.bootstrap import MIGRATIONS
from iot_ingest.service.device_connectivity import check_connectivity, record_heard
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.streams.storage import project_storage
from iot_ingest.tables import alarms, bed_monitor_states, latest_values, minute_aggregates
from iot_ingest.testing import apply_records, telemetry_record

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _record(device: dict, readings: list[tuple[int, float, str, float]], offset: int = 0):
    """readings: (seq, seconds after T0, metric, value)"""
    return telemetry_record(device, readings, t0=T0, offset=offset)


async def _alarm_rows(iot) -> list:
    async with iot.runtime.uow() as uow:
        return (await uow.session.execute(select(alarms).order_by(alarms.c.raised_at))).all()


async def _alarm_events(iot) -> list[str]:
    return [e.type for e in await iot.outbox("iot.alarms.v1")]


async def _apply(iot, engine: RuleEngine, records) -> None:
    await apply_records(iot, engine, records)


async def test_heart_rate_rule_raises_then_clears_through_the_alarm_lane(iot) -> None:
    device = await iot.add_device(await iot.add_bed())
    engine = RuleEngine()
    high = [(i, i * 10, "heart_rate", 130.0) for i in range(7)]  # 0..60 s above 120
    await _apply(iot, engine, [_record(device, high)])
    [row] = await _alarm_rows(iot)
    assert (row.alarm_type, row.rule_id, row.status) == (
        "heart_rate_high",
        "heart_rate_high",
        "raised",
    )
    assert "001" in row.detail
    low = [(7 + i, 70 + i * 10, "heart_rate", 90.0) for i in range(7)]
    await _apply(iot, engine, [_record(device, low)])
    [row] = await _alarm_rows(iot)
    assert row.condition_cleared_at is not None
    assert row.status == "raised"  # people still close it
    assert await _alarm_events(iot) == ["alarm.raised", "alarm.cleared"]


async def test_rule_state_survives_a_restart_and_redelivery_counts_once(iot) -> None:
    device = await iot.add_device(await iot.add_bed())
    await _apply(
        iot, RuleEngine(), [_record(device, [(1, 0, "spo2", 85.0), (2, 10, "spo2", 86.0)])]
    )
    async with iot.runtime.uow() as uow:
        assert await uow.session.scalar(select(bed_monitor_states.c.bed_id)) == device["bed_id"]
    restarted = RuleEngine()
    # the same batch again (a replay) must not complete the 3-in-a-row streak
    await _apply(iot, restarted, [_record(device, [(1, 0, "spo2", 85.0), (2, 10, "spo2", 86.0)])])
    assert await _alarm_rows(iot) == []
    await _apply(iot, restarted, [_record(device, [(3, 20, "spo2", 84.0)])])
    [row] = await _alarm_rows(iot)
    assert row.alarm_type == "spo2_low"


async def test_per_bed_override_from_the_care_plan(iot) -> None:
    from chassis.principal import Role
    from chassis.testing.principals import principal_headers

    device = await iot.add_device(await iot.add_bed())
    body = {
        "rules": [
            {
                "rule_id": "heart_rate_high",
                "alarm_type": "heart_rate_high",
                "raise_when": {
                    "type": "now",
                    "when": {"metric": "heart_rate", "op": ">", "value": 100},
                },
            }
        ],
        "disabled": ["fever"],
        "reason": "care plan v2: resting heart rate is high",
    }
    put = await iot.client.put(
        f"/v1/beds/{device['bed_id']}/rules",
        json=body,
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert put.status_code == 200, put.text
    effective = await iot.client.get(
        f"/v1/beds/{device['bed_id']}/rules",
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    ids = [r["rule_id"] for r in effective.json()["rules"]]
    assert "fever" not in ids
    assert "heart_rate_high" in ids
    bad = await iot.client.put(
        f"/v1/beds/{device['bed_id']}/rules",
        json={"rules": [{"rule_id": "x"}], "reason": "bad rule"},
        headers=principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1"),
    )
    assert bad.status_code == 422
    await _apply(
        iot, iot.app.state.iot.rule_engine, [_record(device, [(1, 0, "heart_rate", 105.0)])]
    )
    [row] = await _alarm_rows(iot)
    assert row.alarm_type == "heart_rate_high"


async def test_inactivity_and_bed_exit_ticks_with_controlled_time(iot) -> None:
    device = await iot.add_device(await iot.add_bed())
    engine = RuleEngine()
    await _apply(iot, engine, [_record(device, [(1, 0, "motion", 1.0)])])  # 10:00 local
    async with iot.runtime.uow() as uow:
        assert await engine.tick(uow, T0 + timedelta(hours=3, minutes=59)) == []
        fired = await engine.tick(uow, T0 + timedelta(hours=4))
        await uow.commit()
    assert [s.alarm_type.value for s in fired] == ["inactivity"]
    [row] = await _alarm_rows(iot)
    assert row.alarm_type == "inactivity"
    # a new engine (restart) still knows the inactivity alarm is active: no second raise
    async with iot.runtime.uow() as uow:
        assert await RuleEngine().tick(uow, T0 + timedelta(hours=5)) == []


async def test_ticks_cover_only_the_beds_of_the_assigned_partitions(iot) -> None:
    from iot_ingest.streams.partitions import PartitionOwnership, partition_of

    first = await iot.add_device(await iot.add_bed())
    second = await iot.add_device(await iot.add_bed())
    while partition_of(second["bed_id"], 12) == partition_of(first["bed_id"], 12):
        second = await iot.add_device(await iot.add_bed())
    engine = RuleEngine(ownership=PartitionOwnership())
    engine.on_assignment({partition_of(first["bed_id"], 12)}, 12)
    await _apply(iot, engine, [_record(first, [(1, 0, "motion", 1.0)])])
    # the second bed's state was written by the instance that owns its partition
    await _apply(iot, RuleEngine(), [_record(second, [(1, 0, "motion", 1.0)])])
    async with iot.runtime.uow() as uow:
        fired = await engine.tick(uow, T0 + timedelta(hours=4))
        await uow.commit()
    assert [(s.bed_id, s.alarm_type.value) for s in fired] == [(first["bed_id"], "inactivity")]
    # after a rebalance hands it the other partition too, it ticks that bed as well
    engine.on_assignment(
        {partition_of(first["bed_id"], 12), partition_of(second["bed_id"], 12)}, 12
    )
    async with iot.runtime.uow() as uow:
        fired = await engine.tick(uow, T0 + timedelta(hours=4, minutes=1))
        await uow.commit()
    assert [(s.bed_id, s.alarm_type.value) for s in fired] == [(second["bed_id"], "inactivity")]


async def test_offline_and_online_with_controlled_time(iot) -> None:
    device = await iot.add_device(await iot.add_bed(), "vital_signs_monitor")
    seen = datetime.now(UTC)
    await record_heard(
        uow=iot.runtime.uow(), seen={device["device_id"]: seen}, seq_marks={device["device_id"]: 5}
    )
    assert await check_connectivity(uow=iot.runtime.uow(), now=seen + timedelta(minutes=5)) == []
    went = await check_connectivity(uow=iot.runtime.uow(), now=seen + timedelta(minutes=6))
    assert went == [(device["device_id"], "offline")]
    assert await check_connectivity(uow=iot.runtime.uow(), now=seen + timedelta(minutes=7)) == []
    later = seen + timedelta(minutes=8)
    await record_heard(uow=iot.runtime.uow(), seen={device["device_id"]: later}, seq_marks={})
    back = await check_connectivity(uow=iot.runtime.uow(), now=seen + timedelta(minutes=9))
    assert back == [(device["device_id"], "online")]
    async with iot.runtime.uow() as uow:
        outbox = uow.tables.outbox
        payloads = (
            (
                await uow.session.execute(
                    select(outbox.c.payload)
                    .where(outbox.c.topic == "iot.devices.v1")
                    .order_by(outbox.c.id)
                )
            )
            .scalars()
            .all()
        )
    events = [Envelope.model_validate_json(p) for p in payloads]
    assert [e.type for e in events] == ["device.registered", "device.offline", "device.online"]
    assert events[1].data["last_seen_at"] is not None


@pytest.mark.parametrize("batches", [1, 2])
async def test_storage_projects_latest_and_minute_aggregates(
    database_url: str, batches: int
) -> None:
    from chassis.db import UnitOfWork, create_session_factory
    from iot_ingest.tables import CHASSIS_TABLES

    engine = create_engine(database_url)
    await upgrade_to_head(engine, MIGRATIONS)
    factory = create_session_factory(engine)
    device = {"device_id": "d-1", "bed_id": "b-1"}
    readings = [(i, i * 10, "heart_rate", 60.0 + i) for i in range(8)]  # 02:00:00 .. 02:01:10
    records = [_record(device, readings[:5]), _record(device, readings[5:])]
    try:
        for chunk in [records] if batches == 1 else [[r] for r in records]:
            async with UnitOfWork(factory, CHASSIS_TABLES) as uow:
                await project_storage(uow, chunk)
                await uow.commit()
        async with UnitOfWork(factory, CHASSIS_TABLES) as uow:
            minutes = (
                await uow.session.execute(
                    select(minute_aggregates).order_by(minute_aggregates.c.minute)
                )
            ).all()
            latest = (await uow.session.execute(select(latest_values))).all()
    finally:
        await engine.dispose()
    assert [(m.minute, m._mapping["count"], m.total, m.minimum, m.maximum) for m in minutes] == [
        (T0, 6, sum(60.0 + i for i in range(6)), 60.0, 65.0),
        (T0 + timedelta(minutes=1), 2, 66.0 + 67.0, 66.0, 67.0),
    ]
    assert [(v.metric, v.value, v.seq) for v in latest] == [("heart_rate", 67.0, 7)]


async def test_overrides_changed_elsewhere_reach_a_running_engine(iot) -> None:
    from iot_ingest.domain.rules.conditions import Now, Op, Threshold
    from iot_ingest.domain.rules.rule import BedRuleOverrides, Rule
    from iot_ingest.repository.monitoring import RuleOverridesRepository

    device = await iot.add_device(await iot.add_bed())
    engine = RuleEngine()  # another process's engine: nobody calls forget_bed on it
    await _apply(iot, engine, [_record(device, [(1, 0, "heart_rate", 105.0)])])
    assert await _alarm_rows(iot) == []
    async with iot.runtime.uow() as uow:
        assert await engine.reload_changed_overrides(uow) == []
    stricter = Rule(
        rule_id="heart_rate_high",
        alarm_type="heart_rate_high",
        raise_when=Now(when=Threshold(metric="heart_rate", op=Op.GT, value=100)),
    )
    async with iot.runtime.uow() as uow:  # as the API of another process would
        await uow.repo(RuleOverridesRepository).save(
            device["bed_id"], BedRuleOverrides(rules=(stricter,)), by="admin", at=datetime.now(UTC)
        )
        await uow.commit()
    async with iot.runtime.uow() as uow:
        assert await engine.reload_changed_overrides(uow) == [device["bed_id"]]
        assert await engine.reload_changed_overrides(uow) == []
    await _apply(iot, engine, [_record(device, [(2, 10, "heart_rate", 106.0)])])
    [row] = await _alarm_rows(iot)
    assert row.alarm_type == "heart_rate_high"


async def test_latest_values_and_aggregates_are_pages_of_the_bed(iot) -> None:
    from chassis.principal import Role
    from chassis.testing.principals import principal_headers

    device = await iot.add_device(await iot.add_bed())
    records = [_record(device, [(1, 0, "heart_rate", 70.0), (2, 1, "spo2", 97.0)])]
    async with iot.runtime.uow() as uow:
        await project_storage(uow, records)
        await uow.commit()
    admin = principal_headers(Role.PROVIDER_ADMIN, "admin-1", provider_id="p1")
    bed = device["bed_id"]
    latest = await iot.client.get(f"/v1/beds/{bed}/latest", params={"limit": 1}, headers=admin)
    rest = await iot.client.get(
        f"/v1/beds/{bed}/latest", params={"limit": 1, "offset": 1}, headers=admin
    )
    assert [(v["metric"], v["value"]) for v in latest.json()["items"] + rest.json()["items"]] == [
        ("heart_rate", 70.0),
        ("spo2", 97.0),
    ]
    assert (latest.json()["total"], rest.json()["offset"]) == (2, 1)
    minutes = await iot.client.get(
        f"/v1/beds/{bed}/aggregates",
        params={"metric": "heart_rate", "since": (T0 - timedelta(minutes=5)).isoformat()},
        headers=admin,
    )
    assert minutes.json()["items"] == [
        {"minute": "2026-03-01T02:00:00Z", "count": 1, "mean": 70.0, "min": 70.0, "max": 70.0}
    ]
    other = principal_headers(Role.PROVIDER_ADMIN, "admin-2", provider_id="p2")
    hidden = await iot.client.get(f"/v1/beds/{bed}/latest", headers=other)
    assert hidden.status_code == 404
