"""The alarm's chain from iot-ingest's events: raised → the on-call caregiver (repeated every
minute while nobody acknowledges) → escalated → the on-call duty manager → acknowledged: the
chain stops at once, a late escalation never fires; the regulator's step still goes out
(001 §四(三)2: "15 分钟内到达老人家中")."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY

from chassis.clock import ManualClock
from chassis.principal import Role
from notify.sms_stub import StubState
from notify.testing import (
    ALARMS,
    Notify,
    alarm_envelope,
    bed_envelope,
    officer,
    ops,
    staff_with_schedules,
)


def _steps(step: str, kind: str = "fall_detected") -> float:
    labels = {"step": step, "kind": kind}
    return REGISTRY.get_sample_value("homebed_notify_escalation_steps_total", labels) or 0.0


def _chains(outcome: str) -> float:
    found = REGISTRY.get_sample_value(
        "homebed_notify_escalation_chains_total", {"outcome": outcome}
    )
    return found or 0.0


async def test_step_one_unacknowledged_step_two_acknowledged_step_three_never(
    notify: Notify, clock: ManualClock, stub: StubState
) -> None:
    # the metrics exist from start-up (a panel answers before the first alarm)
    assert (
        REGISTRY.get_sample_value(
            "homebed_notify_escalation_steps_total", {"step": "3", "kind": "sos_pressed"}
        )
        is not None
    )
    before = {s: _steps(s) for s in ("1", "2", "3", "4")}
    chains_before = {o: _chains(o) for o in ("acknowledged", "exhausted")}
    await staff_with_schedules(notify, clock)
    await notify.feed("intake.beds.v1", bed_envelope("bed-1", at=clock()))
    raised_at = clock()
    raised = alarm_envelope(
        "alarm.raised", alarm_id="al-1", bed_id="bed-1", raised_at=raised_at, at=raised_at
    )
    assert await notify.feed(ALARMS, raised) == 2  # the on-call caregiver and the centre
    assert await notify.feed(ALARMS, raised) == 0  # redelivered: nothing twice
    await notify.dispatch()
    inbox = await notify.inbox("cg-1")
    assert inbox["unread"] == 1
    [message] = inbox["items"]
    assert message["title"] == "【家床告警】跌倒"
    assert "张**（梅园路 * 号 *** 室）" in message["body"]  # the caregiver goes: sees the address
    assert "15分钟" not in message["title"]
    assert "请在15分钟内" in message["body"]

    clock.advance(timedelta(minutes=1))  # nobody acknowledged: step 1 repeats
    assert await notify.sweep() == 1
    await notify.dispatch()
    assert (await notify.inbox("cg-1"))["unread"] == 2

    clock.advance(timedelta(minutes=1))
    escalated = alarm_envelope(
        "alarm.escalated",
        alarm_id="al-1",
        bed_id="bed-1",
        raised_at=raised_at,
        at=clock(),
        escalation_level=1,
        escalation_target="duty_manager",
    )
    assert await notify.feed(ALARMS, escalated) == 2  # step 2: the duty manager on call, the centre
    await notify.dispatch()
    [to_manager] = stub.messages
    assert to_manager["to"] == "13900000002"
    assert "已升级至duty_manager" in to_manager["text"]
    assert "梅园路" not in to_manager["text"]  # the address only for who goes
    assert "还剩13分钟" in to_manager["text"]
    clock.advance(timedelta(seconds=30))
    assert await notify.sweep() == 0  # a step repeats on its own schedule (2 minutes)

    acknowledged = alarm_envelope(
        "alarm.acknowledged",
        alarm_id="al-1",
        bed_id="bed-1",
        raised_at=raised_at,
        at=clock(),
        status="acknowledged",
        actor="dm-1",
    )
    await notify.feed(ALARMS, acknowledged)
    clock.advance(timedelta(minutes=10))
    assert await notify.sweep() == 0  # stopped at once: no repeat of step 2
    late = alarm_envelope(
        "alarm.escalated",
        alarm_id="al-1",
        bed_id="bed-1",
        raised_at=raised_at,
        at=clock(),
        escalation_level=2,
        escalation_target="director",
    )
    assert await notify.feed(ALARMS, late) == 0  # step 3 never fires after the acknowledgement
    await notify.dispatch()
    assert len(stub.messages) == 1

    # nobody arrived within 15 minutes: the regulator's step goes out despite the acknowledgement
    regulator = alarm_envelope(
        "alarm.escalated",
        alarm_id="al-1",
        bed_id="bed-1",
        raised_at=raised_at,
        at=clock(),
        escalation_level=3,
        escalation_target="street_office",
    )
    assert await notify.feed(ALARMS, regulator) == 2  # the region's officer and the centre
    await notify.dispatch()
    assert (await notify.inbox("off-1", Role.OFFICER))["unread"] == 1

    record = await notify.record("al-1", officer("330102"))
    assert record.status_code == 200, record.text
    body = record.json()
    assert (body["state"], body["acknowledged_by"]) == ("acknowledged", "dm-1")
    told = [(d["recipient_id"], d["step"], d["repeat_no"], d["status"]) for d in body["deliveries"]]
    assert ("cg-1", 1, 0, "sent") in told
    assert ("cg-1", 1, 1, "sent") in told
    assert ("dm-1", 2, 0, "sent") in told
    assert ("off-1", 4, 0, "sent") in told
    assert not [t for t in told if t[1] == 3]
    sms = next(d for d in body["deliveries"] if d["recipient_id"] == "dm-1")
    assert [(a["channel"], a["ok"]) for a in sms["attempts"]] == [("sms", True)]
    assert (await notify.record("al-1", officer("330326"))).status_code == 404  # not their region
    assert (await notify.record("al-1", ops())).status_code == 200

    # steps 1, 2 and the regulator's fired once each (the redelivery and step 3 not at all);
    # the chain was acknowledged, then exhausted (its last step, the street office)
    fired = {s: _steps(s) - before[s] for s in before}
    assert fired == {"1": 1, "2": 1, "3": 0, "4": 1}
    assert {o: _chains(o) - chains_before[o] for o in chains_before} == {
        "acknowledged": 1,
        "exhausted": 1,
    }


async def test_acknowledgement_cancels_what_has_not_gone_out(
    notify: Notify, clock: ManualClock
) -> None:
    """A fall's in-app messages leave within the consumer's transaction (nothing to cancel);
    an alarm that is not a safety event waits for the dispatcher, and is cancelled."""
    await staff_with_schedules(notify, clock)
    raised_at = clock()
    await notify.feed(
        ALARMS,
        alarm_envelope(
            "alarm.raised",
            alarm_id="al-2",
            bed_id="bed-2",
            raised_at=raised_at,
            at=raised_at,
            alarm_type="heart_rate_high",
        ),
    )
    await notify.feed(
        ALARMS,
        alarm_envelope(
            "alarm.acknowledged",
            alarm_id="al-2",
            bed_id="bed-2",
            raised_at=raised_at,
            at=clock(),
            status="acknowledged",
            actor="cg-1",
            alarm_type="heart_rate_high",
        ),
    )
    await notify.dispatch()
    assert (await notify.inbox("cg-1"))["unread"] == 0
    record = (await notify.record("al-2", ops())).json()
    assert {d["status"] for d in record["deliveries"]} == {"cancelled"}


async def test_a_bed_known_after_its_alarm_gives_the_region_to_its_deliveries(
    notify: Notify, clock: ManualClock
) -> None:
    await staff_with_schedules(notify, clock)
    raised = alarm_envelope(
        "alarm.raised", alarm_id="al-3", bed_id="bed-3", raised_at=clock(), at=clock()
    )
    await notify.feed(ALARMS, raised)
    assert (await notify.record("al-3", officer("330102"))).status_code == 404
    await notify.feed("intake.beds.v1", bed_envelope("bed-3", at=clock()))
    assert (await notify.record("al-3", officer("330102"))).status_code == 200


async def test_a_row_committed_after_the_beds_region_fill_is_still_the_regions(
    notify: Notify, clock: ManualClock
) -> None:
    """A repeat (or first round) whose transaction read the alarm's rows before the bed's
    event committed, and committed after it, keeps no region: the officers of the bed's region
    still read it (the region is the bed's, resolved when read)."""
    from sqlalchemy import select

    from notify.tables import DeliveryRow

    await staff_with_schedules(notify, clock)
    raised = alarm_envelope(
        "alarm.raised", alarm_id="al-4", bed_id="bed-4", raised_at=clock(), at=clock()
    )
    await notify.feed(ALARMS, raised)
    await notify.feed("intake.beds.v1", bed_envelope("bed-4", at=clock()))
    async with notify.app.state.runtime.uow() as uow:  # the late transaction's row
        original = (
            await uow.session.scalars(select(DeliveryRow).where(DeliveryRow.subject == "al-4"))
        ).first()
        assert original is not None
        assert original.region_code == "330102"
        late = DeliveryRow(
            **{
                c.key: getattr(original, c.key)
                for c in DeliveryRow.__table__.columns
                if c.key not in ("id", "repeat_no", "region_code")
            },
            repeat_no=1,
            region_code=None,
        )
        uow.session.add(late)
        await uow.commit()
    record = (await notify.record("al-4", officer("330102"))).json()
    assert (original.recipient_id, 1) in {
        (d["recipient_id"], d["repeat_no"]) for d in record["deliveries"]
    }
    listed = await notify.client.get(
        "/v1/notification-deliveries", params={"limit": 100}, headers=officer("330102")
    )
    assert listed.status_code == 200, listed.text
    assert any(d["subject"] == "al-4" and d["repeat_no"] == 1 for d in listed.json()["items"])
    elsewhere = await notify.client.get(
        "/v1/notification-deliveries", params={"limit": 100}, headers=officer("310105")
    )
    assert not any(d["subject"] == "al-4" for d in elsewhere.json()["items"])
