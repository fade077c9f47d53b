"""The 15-minute on-site rule (001 §四(三)2) is decided from the times, not from when the
escalation sweep ran (issue 11 item 1): arriving at the deadline itself is in time."""

from datetime import UTC, datetime, timedelta

from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.escalation import DEFAULT_POLICY, check_escalations, next_check_at
from iot_ingest.domain.alarms.lifecycle import ARRIVAL_WINDOW, Alarm, AlarmOutcome, ChangeKind

RULE = "提供服务的机构应在收到呼叫、预警的15分钟内到达老人家中"  # 001 §四(三)2
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
DEADLINE = T0 + timedelta(minutes=15)
TICK = timedelta(microseconds=1)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _dispatched() -> Alarm:
    alarm = Alarm.raise_new(
        alarm_id="a1",
        bed_id="b1",
        provider_id="p1",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.dispatch(assignee="c1", by="u1", at=_at(2))
    alarm.pop_changes()
    return alarm


def test_the_rule_is_the_seeds() -> None:
    assert quoted_in_seed("001", RULE)
    assert timedelta(minutes=15) == ARRIVAL_WINDOW


def test_arriving_late_before_any_sweep_is_a_breach() -> None:
    alarm = _dispatched()
    alarm.arrive(by="c1", at=_at(16))  # the sweep never ran in between
    assert alarm.sla_breached
    changes = alarm.pop_changes()
    assert [(c.kind, c.at) for c in changes] == [
        (ChangeKind.SLA_BREACHED, DEADLINE),  # published before the arrival, dated when it broke
        (ChangeKind.ARRIVED, _at(16)),
    ]
    # a sweep running afterwards adds no second breach
    assert [c.kind for c in check_escalations(alarm, DEFAULT_POLICY, _at(20))] == []


def test_arriving_at_exactly_fifteen_minutes_is_in_time() -> None:
    alarm = _dispatched()
    alarm.arrive(by="c1", at=DEADLINE)
    assert not alarm.sla_breached
    assert not alarm.breached_by(_at(60))
    assert all(c.kind is not ChangeKind.SLA_BREACHED for c in alarm.pop_changes())
    check_escalations(alarm, DEFAULT_POLICY, _at(60))
    assert not alarm.sla_breached


def test_one_microsecond_late_is_a_breach() -> None:
    alarm = _dispatched()
    alarm.arrive(by="c1", at=DEADLINE + TICK)
    assert alarm.sla_breached


def test_a_sweep_at_the_deadline_itself_does_not_breach_yet() -> None:
    alarm = _dispatched()
    changes = check_escalations(alarm, DEFAULT_POLICY, DEADLINE)
    assert ChangeKind.SLA_BREACHED not in [c.kind for c in changes]
    assert not alarm.sla_breached
    assert next_check_at(alarm, DEFAULT_POLICY) == DEADLINE + TICK
    # the caregiver walks in at 15:00 exactly, after that sweep: still in time
    alarm.arrive(by="c1", at=DEADLINE)
    check_escalations(alarm, DEFAULT_POLICY, _at(30))
    assert not alarm.sla_breached


def test_closed_as_false_alarm_without_arrival_after_the_deadline_is_a_breach() -> None:
    alarm = Alarm.raise_new(
        alarm_id="a2",
        bed_id="b1",
        provider_id="p1",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.pop_changes()
    # two provider admins close it at 20 minutes; the sweep never ran
    alarm.resolve(by="admin-1", at=_at(20), outcome=AlarmOutcome.FALSE_ALARM, provider_admin=True)
    assert alarm.sla_breached
    alarm.resolve(by="admin-2", at=_at(21), outcome=AlarmOutcome.FALSE_ALARM, provider_admin=True)
    assert alarm.sla_breached
    kinds = [c.kind for c in alarm.pop_changes()]
    assert kinds.count(ChangeKind.SLA_BREACHED) == 1
    assert kinds[0] is ChangeKind.SLA_BREACHED


def test_a_false_alarm_closed_in_time_is_no_breach() -> None:
    alarm = Alarm.raise_new(
        alarm_id="a3",
        bed_id="b1",
        provider_id="p1",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.resolve(by="u1", at=DEADLINE, outcome=AlarmOutcome.FALSE_ALARM)
    assert not alarm.sla_breached
    assert not alarm.breached_by(_at(60))


def test_an_alarm_closed_because_the_bed_ended_after_the_deadline_is_a_breach() -> None:
    late, early = _dispatched(), _dispatched()
    late.close_bed_ended(at=_at(40), event_type="bed.terminated")
    early.close_bed_ended(at=_at(5), event_type="bed.terminated")
    assert late.sla_breached
    assert [c.kind for c in late.pop_changes()] == [ChangeKind.SLA_BREACHED, ChangeKind.RESOLVED]
    assert not early.sla_breached


def test_handled_in_time_then_resolved_late_is_no_breach() -> None:
    alarm = _dispatched()
    alarm.arrive(by="c1", at=_at(12))
    alarm.resolve(by="c1", at=_at(90), outcome=AlarmOutcome.HANDLED_ON_SITE)
    assert not alarm.sla_breached


def test_acting_on_an_unattended_alarm_after_the_deadline_records_the_breach() -> None:
    alarm = Alarm.raise_new(
        alarm_id="a4",
        bed_id="b1",
        provider_id="p1",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.pop_changes()
    alarm.acknowledge(by="u1", at=_at(17))
    assert alarm.sla_breached
    assert [c.kind for c in alarm.pop_changes()] == [
        ChangeKind.SLA_BREACHED,
        ChangeKind.ACKNOWLEDGED,
    ]
