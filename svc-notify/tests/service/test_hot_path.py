"""The fall's hot path (the benchmark's): a poll of events in one transaction through the batch
runner (dedupe rows included, a redelivered batch changes nothing), a fall's in-app messages
written in the consumer's transaction and pushed to the open stream from the committed rows,
the on-call resolution cached and dropped on a schedule change, repeats a chunk at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select

from chassis.clock import ManualClock
from chassis.kafka.consumer import ConsumerConfig
from homebed_schemas.envelope import Envelope
from notify.batch_runner import BatchRunner
from notify.channels.hub import InboxHub, PushedItem
from notify.consumers import batch_handlers
from notify.runtime import NotifyRuntime
from notify.tables import AttemptRow, ChainRow, DeliveryRow, InboxRow
from notify.testing import ALARMS, Notify, admin, alarm_envelope, ops, staff_with_schedules


def _record(envelope: Envelope, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=ALARMS,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=None,
        value=envelope.model_dump_json().encode(),
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=0,
        headers=[],
    )


def _runner(notify: Notify) -> BatchRunner:
    runtime: NotifyRuntime = notify.app.state.runtime
    return BatchRunner(
        batch_handlers=batch_handlers(notify.notifications),
        service="svc-notify",
        bootstrap="127.0.0.1:1",  # never connects: the test calls apply_batch
        handlers={},
        uow_factory=runtime.uow,
        dlq_producer=None,  # type: ignore[arg-type]
        config=ConsumerConfig(group_id="test-batch"),
    )


def _step_one_falls() -> float:
    labels = {"step": "1", "kind": "fall_detected"}
    return REGISTRY.get_sample_value("homebed_notify_escalation_steps_total", labels) or 0.0


async def _count(notify: Notify, table: type[DeliveryRow] | type[InboxRow]) -> int:
    async with notify.app.state.runtime.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_poll_of_falls_is_one_transaction_and_reaches_the_inbox_at_once(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    raised = [
        alarm_envelope(
            "alarm.raised", alarm_id=f"al-{i}", bed_id=f"bed-{i}", raised_at=clock(), at=clock()
        )
        for i in range(5)
    ]
    runner = _runner(notify)
    fired_before = _step_one_falls()
    await runner.apply_batch([_record(e, i) for i, e in enumerate(raised)])
    assert _step_one_falls() - fired_before == 5  # every chain of the batch opened: counted
    # the on-call caregiver and the monitoring centre, per fall; no dispatcher ran
    assert await _count(notify, DeliveryRow) == 10
    inbox = await notify.inbox("cg-1")
    assert (inbox["total"], inbox["unread"]) == (5, 5)
    record = (await notify.record("al-3", ops())).json()
    assert {d["status"] for d in record["deliveries"]} == {"sent"}
    assert await notify.dispatch() == 0  # nothing left for it
    # the batch redelivered (a crash before the offset commit): nothing twice
    await runner.apply_batch([_record(e, i) for i, e in enumerate(raised)])
    assert await _count(notify, DeliveryRow) == 10
    assert await _count(notify, InboxRow) == 10
    assert _step_one_falls() - fired_before == 5  # the redelivered batch counted nothing


async def test_a_poll_of_falls_costs_two_statements_on_postgres(
    notify: Notify, clock: ManualClock
) -> None:
    """Issue 16: one statement reads the dedupe ids, the chains (locked) and the beds; one
    writes the chains, deliveries, inbox rows, attempts, dedupe rows and NOTIFYs."""
    runtime: NotifyRuntime = notify.app.state.runtime
    if runtime.engine.dialect.name != "postgresql":
        return  # SQLite writes one statement per table
    await staff_with_schedules(notify, clock)
    raised = [
        alarm_envelope(
            "alarm.raised", alarm_id=f"al-s{i}", bed_id=f"bed-s{i}", raised_at=clock(), at=clock()
        )
        for i in range(4)
    ]
    runner = _runner(notify)
    await runner.apply_batch([_record(raised[0], 0)])  # who is on call: read, then cached
    raised = raised[1:]
    executed: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        executed.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        await runner.apply_batch([_record(e, i + 1) for i, e in enumerate(raised)])
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    assert len(executed) == 2, executed
    assert await _count(notify, DeliveryRow) == 8
    assert await _count(notify, InboxRow) == 8
    inbox = await notify.inbox("cg-1")
    assert (inbox["total"], inbox["unread"]) == (4, 4)
    async with runtime.uow() as uow:
        processed = uow.tables.processed_events
        done = select(func.count()).select_from(processed)
        assert await uow.session.scalar(done) == 4  # the dedupe rows, in the one statement
        attempts = await uow.session.scalar(
            select(func.count()).select_from(AttemptRow).where(AttemptRow.ok.is_(True))
        )
        assert attempts == 8


async def test_escalations_move_their_chains_in_the_one_statement(
    notify: Notify, clock: ManualClock
) -> None:
    """Issue 16: an escalation of a chain the batch read changes it in the batch's writing
    statement (no ORM flush of its own); a later event of the same poll sees the change, the
    acknowledgement stops the chain and nothing repeats."""
    await staff_with_schedules(notify, clock)
    raised_at = clock()
    falls = [
        alarm_envelope(
            "alarm.raised",
            alarm_id=f"al-e{i}",
            bed_id=f"bed-e{i}",
            raised_at=raised_at,
            at=raised_at,
        )
        for i in range(3)
    ]
    runner = _runner(notify)
    await runner.apply_batch([_record(e, i) for i, e in enumerate(falls)])
    clock.advance(timedelta(minutes=2))

    def escalated(i: int) -> Envelope:
        return alarm_envelope(
            "alarm.escalated",
            alarm_id=f"al-e{i}",
            bed_id=f"bed-e{i}",
            raised_at=raised_at,
            at=clock(),
            escalation_level=1,
            escalation_target="duty_manager",
        )

    acknowledged = alarm_envelope(
        "alarm.acknowledged",
        alarm_id="al-e0",
        bed_id="bed-e0",
        raised_at=raised_at,
        at=clock(),
        status="acknowledged",
        actor="dm-1",
    )
    runtime: NotifyRuntime = notify.app.state.runtime
    executed: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        executed.append(statement)

    poll = [escalated(0), escalated(1), acknowledged, escalated(2)]
    event.listen(runtime.engine.sync_engine, "before_cursor_execute", count)
    try:
        await runner.apply_batch([_record(e, 10 + i) for i, e in enumerate(poll)])
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", count)
    if runtime.engine.dialect.name == "postgresql":
        # the chains' changes went with the writing statements, not as UPDATEs of their own
        assert not [s for s in executed if s.lstrip().upper().startswith("UPDATE ALARM_CHAINS")]
        assert sum(s.startswith("WITH") for s in executed) == 2  # before and after the ack
    async with runtime.uow() as uow:
        chains = {
            c.alarm_id: (c.step, c.state)
            for c in await uow.session.scalars(select(ChainRow).order_by(ChainRow.alarm_id))
        }
    assert chains == {
        "al-e0": (2, "acknowledged"),
        "al-e1": (2, "open"),
        "al-e2": (2, "open"),
    }

    async def to_duty_manager() -> list[tuple[str, str]]:
        async with runtime.uow() as uow:
            rows = await uow.session.scalars(
                select(DeliveryRow).where(DeliveryRow.recipient_id == "dm-1")
            )
            return sorted((r.subject, r.status) for r in rows)

    # the duty manager (by SMS: the dispatcher's) told of each escalation once; the
    # acknowledged alarm's message cancelled before it went out
    told = [("al-e0", "cancelled"), ("al-e1", "pending"), ("al-e2", "pending")]
    assert await to_duty_manager() == told
    await runner.apply_batch([_record(e, 10 + i) for i, e in enumerate(poll)])  # redelivered
    assert await to_duty_manager() == told
    clock.advance(timedelta(minutes=2))
    await notify.sweep()
    async with runtime.uow() as uow:
        repeated = await uow.session.scalars(
            select(DeliveryRow.subject).where(DeliveryRow.repeat_no > 0)
        )
        assert set(repeated) == {"al-e1", "al-e2"}  # the acknowledged chain does not repeat


async def test_raise_and_acknowledgement_in_one_poll(notify: Notify, clock: ManualClock) -> None:
    """The chain read once for the batch sees its own changes: the acknowledgement stops it."""
    await staff_with_schedules(notify, clock)
    raised_at = clock()
    common = {"alarm_id": "al-9", "bed_id": "bed-9", "raised_at": raised_at, "at": raised_at}
    events = [
        alarm_envelope("alarm.raised", **common),  # type: ignore[arg-type]
        alarm_envelope(
            "alarm.acknowledged",
            **common,  # type: ignore[arg-type]
            status="acknowledged",
            actor="cg-1",
        ),
    ]
    await _runner(notify).apply_batch([_record(e, i) for i, e in enumerate(events)])
    clock.advance(timedelta(minutes=3))
    assert await notify.sweep() == 0  # acknowledged: no repeat


async def test_falls_are_pushed_to_the_open_stream_from_the_committed_rows(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    hub: InboxHub = notify.app.state.notify.hub
    subscription = hub.subscribe("cg-1")
    try:
        await notify.feed(
            ALARMS,
            alarm_envelope(
                "alarm.raised", alarm_id="al-p", bed_id="bed-p", raised_at=clock(), at=clock()
            ),
        )
        await asyncio.wait_for(subscription.wake.wait(), 1)
        pushed, read_inbox = subscription.take()
        assert not read_inbox
        [item] = pushed
        assert (item.subject, item.owner, item.safety) == ("al-p", "cg-1", True)
        assert item.id > 0
        assert "跌倒" in item.title
    finally:
        hub.unsubscribe(subscription)


async def test_the_hub_falls_back_to_a_read_when_a_stream_stalls() -> None:
    hub = InboxHub()
    subscription = hub.subscribe("cg-1")
    item = PushedItem(1, "cg-1", "al", "t", "b", True, datetime(2026, 3, 2, tzinfo=UTC))
    hub.publish("cg-1", [item] * 1001)
    pushed, read_inbox = subscription.take()
    assert (pushed, read_inbox) == ([], True)  # the stream reads the inbox from its last id
    hub.publish("cg-1")
    assert subscription.take() == ([], True)
    hub.publish("other", [item])
    assert subscription.take() == ([], False)


async def test_on_call_cache_is_dropped_when_the_schedule_changes(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    await notify.feed(
        ALARMS,
        alarm_envelope(
            "alarm.raised", alarm_id="al-a", bed_id="bed-a", raised_at=clock(), at=clock()
        ),
    )
    answer = await notify.client.post(
        "/v1/on-call-schedules/caregiver/overrides",
        json={
            "person_id": "cg-2",
            "starts_at": clock().isoformat(),
            "ends_at": (clock() + timedelta(hours=2)).isoformat(),
            "reason": "换班",
        },
        headers=admin(),
    )
    assert answer.status_code == 201, answer.text
    await notify.feed(
        ALARMS,
        alarm_envelope(
            "alarm.raised", alarm_id="al-b", bed_id="bed-b", raised_at=clock(), at=clock()
        ),
    )
    told = {
        d["recipient_id"]
        for d in (await notify.record("al-b", ops())).json()["deliveries"]
        if not d["recipient_id"].startswith("centre:")
    }
    assert told == {"cg-2"}  # the override, at once: not the cached cg-1
