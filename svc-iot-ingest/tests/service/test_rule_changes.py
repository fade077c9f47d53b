"""Issue 10 item 1: changing a bed's rules never stops the rule engine (for any bed)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from iot_ingest.repository.monitoring import RuleOverridesRepository
from iot_ingest.streams.rule_engine import RuleEngine
from iot_ingest.tables import alarms
from iot_ingest.testing import apply_records, telemetry_record

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _record(device: dict, readings: list) -> object:
    return telemetry_record(device, readings, t0=T0)


async def _apply(iot, engine: RuleEngine, records: list) -> None:
    await apply_records(iot, engine, records)


async def _alarm_rows(iot) -> list:
    async with iot.runtime.uow() as uow:
        return (await uow.session.execute(select(alarms))).all()


async def test_a_tick_after_a_rule_change_loads_the_bed_instead_of_failing(iot) -> None:
    changed = await iot.add_device(await iot.add_bed())
    other = await iot.add_device(await iot.add_bed())
    engine = RuleEngine()
    await _apply(iot, engine, [_record(changed, [(1, 0, "motion", 1.0)])])
    await _apply(iot, engine, [_record(other, [(1, 0, "motion", 1.0)])])
    engine.forget_bed(changed["bed_id"])  # what PUT /v1/beds/{id}/rules does
    async with iot.runtime.uow() as uow:
        fired = await engine.tick(uow, T0 + timedelta(hours=4))
        await uow.commit()
    assert sorted(s.bed_id for s in fired) == sorted([changed["bed_id"], other["bed_id"]])
    assert engine.failures == 0
    # a batch of the changed bed after another rule change is evaluated too
    engine.forget_bed(changed["bed_id"])
    high = [(2 + i, 3600 * 4 + i * 10, "heart_rate", 130.0) for i in range(7)]
    await _apply(iot, engine, [_record(changed, high)])
    types = sorted(r.alarm_type for r in await _alarm_rows(iot))
    assert types == ["heart_rate_high", "inactivity", "inactivity"]


async def test_beds_dropped_while_a_batch_waits_for_the_database_stay_in_the_batch(
    iot, monkeypatch
) -> None:
    # Issue 15: `KeyError` at `apply` right after a start. A batch loads the beds it has not
    # met; whatever drops the caches meanwhile (a rebalance, a failed tick, a rule change) must
    # not take a bed from under the batch.
    known = await iot.add_device(await iot.add_bed())
    new = await iot.add_device(await iot.add_bed())
    engine = RuleEngine()
    await _apply(iot, engine, [_record(known, [(1, 0, "heart_rate", 70.0)])])
    read_overrides = RuleOverridesRepository.of_beds

    async def of_beds_then_dropped(self, bed_ids):  # type: ignore[no-untyped-def]
        found = await read_overrides(self, bed_ids)
        engine.reset()  # e.g. a rebalance, while the batch waited for this read
        engine.forget_bed(known["bed_id"])
        return found

    monkeypatch.setattr(RuleOverridesRepository, "of_beds", of_beds_then_dropped)
    high = [(2 + i, 60 + i * 10, "heart_rate", 130.0) for i in range(7)]
    await _apply(iot, engine, [_record(known, high), _record(new, [(1, 60, "heart_rate", 70.0)])])
    assert [r.bed_id for r in await _alarm_rows(iot)] == [known["bed_id"]]
    assert engine.failures == 0
