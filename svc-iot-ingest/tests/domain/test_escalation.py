from datetime import UTC, datetime, timedelta

import pytest

from chassis.errors import Unprocessable
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.escalation import (
    DEFAULT_POLICY,
    EscalationPolicy,
    EscalationStep,
    Milestone,
    check_escalations,
    next_check_at,
)
from iot_ingest.domain.alarms.lifecycle import Alarm, AlarmOutcome, ChangeKind

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
JUST_AFTER = timedelta(microseconds=1)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _alarm() -> Alarm:
    alarm = Alarm.raise_new(
        alarm_id="a1",
        bed_id="b1",
        provider_id="p1",
        alarm_type="sos_pressed",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.pop_changes()
    return alarm


def test_not_acknowledged_in_two_minutes_goes_to_the_duty_manager() -> None:
    alarm = _alarm()
    assert check_escalations(alarm, DEFAULT_POLICY, _at(1.9)) == []
    assert next_check_at(alarm, DEFAULT_POLICY) == _at(2)
    changes = check_escalations(alarm, DEFAULT_POLICY, _at(2))
    assert [(c.kind, c.escalation_target, c.escalation_level, c.at) for c in changes] == [
        (ChangeKind.ESCALATED, "duty_manager", 1, _at(2))
    ]
    assert alarm.escalation_level == 1
    assert check_escalations(alarm, DEFAULT_POLICY, _at(3)) == []  # once only
    assert next_check_at(alarm, DEFAULT_POLICY) == _at(15)
    assert [c.kind for c in alarm.pop_changes()] == [ChangeKind.ESCALATED]


def test_acknowledged_in_time_skips_the_first_step() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="u1", at=_at(1))
    assert check_escalations(alarm, DEFAULT_POLICY, _at(5)) == []


def test_not_arrived_by_the_deadline_breaches_the_sla_and_alerts_the_street_office() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.dispatch(assignee="c1", by="u1", at=_at(2))
    assert check_escalations(alarm, DEFAULT_POLICY, _at(14.99)) == []
    changes = check_escalations(alarm, DEFAULT_POLICY, _at(15))
    # the street office hears at the deadline; 15:00 itself is still in time (15分钟内)
    assert [(c.kind, c.escalation_target) for c in changes] == [
        (ChangeKind.ESCALATED, "street_office")
    ]
    assert not alarm.sla_breached
    assert next_check_at(alarm, DEFAULT_POLICY) == _at(15) + JUST_AFTER
    changes = check_escalations(alarm, DEFAULT_POLICY, _at(15) + JUST_AFTER)
    assert [(c.kind, c.at) for c in changes] == [(ChangeKind.SLA_BREACHED, _at(15))]
    assert alarm.sla_breached
    assert next_check_at(alarm, DEFAULT_POLICY) is None
    # arriving late is still allowed and recorded
    alarm.arrive(by="c1", at=_at(18))
    assert alarm.time_to_arrival == timedelta(minutes=18)


def test_arrival_in_time_means_no_breach() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.dispatch(assignee="c1", by="u1", at=_at(2))
    alarm.arrive(by="c1", at=_at(12))
    assert check_escalations(alarm, DEFAULT_POLICY, _at(60)) == []
    assert not alarm.sla_breached


def test_a_late_check_applies_every_overdue_step_with_its_due_time() -> None:
    alarm = _alarm()
    changes = check_escalations(alarm, DEFAULT_POLICY, _at(40))
    assert [(c.kind, c.at) for c in changes] == [
        (ChangeKind.ESCALATED, _at(2)),
        (ChangeKind.ESCALATED, _at(15)),
        (ChangeKind.SLA_BREACHED, _at(15)),
    ]


def test_resolved_alarm_never_escalates() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="u1", at=_at(1))
    alarm.resolve(by="u1", at=_at(1.5), outcome=AlarmOutcome.FALSE_ALARM)
    assert check_escalations(alarm, DEFAULT_POLICY, _at(60)) == []
    assert next_check_at(alarm, DEFAULT_POLICY) is None


def test_sla_breach_applies_even_with_an_empty_provider_policy() -> None:
    alarm = _alarm()
    assert check_escalations(alarm, EscalationPolicy(steps=()), _at(15)) == []
    changes = check_escalations(alarm, EscalationPolicy(steps=()), _at(15.01))
    assert [c.kind for c in changes] == [ChangeKind.SLA_BREACHED]


def test_provider_policy_with_a_longer_chain() -> None:
    policy = EscalationPolicy(
        steps=(
            EscalationStep(1, Milestone.ACKNOWLEDGED, timedelta(minutes=1), "duty_nurse"),
            EscalationStep(2, Milestone.ACKNOWLEDGED, timedelta(minutes=3), "duty_manager"),
            EscalationStep(3, Milestone.ARRIVED, timedelta(minutes=10), "director"),
        )
    )
    alarm = _alarm()
    targets = []
    for minute in range(0, 17):
        targets += [c.escalation_target for c in check_escalations(alarm, policy, _at(minute))]
    assert targets == ["duty_nurse", "duty_manager", "director", None]


def test_policy_levels_must_be_unique() -> None:
    with pytest.raises(Unprocessable) as caught:
        EscalationPolicy(
            steps=(
                EscalationStep(1, Milestone.ACKNOWLEDGED, timedelta(minutes=1), "a"),
                EscalationStep(1, Milestone.ARRIVED, timedelta(minutes=2), "b"),
            )
        )
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("steps", "escalation levels must be unique")
    ]
