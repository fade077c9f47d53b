from datetime import UTC, datetime, timedelta

import pytest

from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.errors import IllegalAlarmTransition, InvalidAlarmInput
from iot_ingest.domain.alarms.lifecycle import (
    Alarm,
    AlarmOutcome,
    AlarmStatus,
    ChangeKind,
)

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _alarm() -> Alarm:
    return Alarm.raise_new(
        alarm_id="a1",
        bed_id="b1",
        provider_id="p1",
        alarm_type="fall_detected",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
        device_id="d1",
    )


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _to(status: AlarmStatus) -> Alarm:
    alarm = _alarm()
    steps = [
        (AlarmStatus.ACKNOWLEDGED, lambda: alarm.acknowledge(by="u1", at=_at(1))),
        (AlarmStatus.DISPATCHED, lambda: alarm.dispatch(assignee="c1", by="u1", at=_at(2))),
        (AlarmStatus.ARRIVED, lambda: alarm.arrive(by="c1", at=_at(10))),
        (
            AlarmStatus.RESOLVED,
            lambda: alarm.resolve(by="c1", at=_at(20), outcome=AlarmOutcome.HANDLED_ON_SITE),
        ),
    ]
    for reached, step in steps:
        if alarm.status is status:
            break
        step()
        assert alarm.status is reached
    return alarm


def test_full_lifecycle_records_who_and_when() -> None:
    alarm = _to(AlarmStatus.RESOLVED)
    assert alarm.arrival_deadline == _at(15)
    assert (alarm.acknowledged_by, alarm.acknowledged_at) == ("u1", _at(1))
    assert alarm.assignee == "c1"
    assert alarm.time_to_ack == timedelta(minutes=1)
    assert alarm.time_to_arrival == timedelta(minutes=10)
    assert alarm.outcome is AlarmOutcome.HANDLED_ON_SITE
    assert [c.kind for c in alarm.pop_changes()] == [
        ChangeKind.RAISED,
        ChangeKind.ACKNOWLEDGED,
        ChangeKind.DISPATCHED,
        ChangeKind.ARRIVED,
        ChangeKind.RESOLVED,
    ]
    assert alarm.pop_changes() == []


def test_repeat_counts_and_keeps_the_first_deadline() -> None:
    alarm = _alarm()
    alarm.repeat(at=_at(3), device_id="d2")
    assert (alarm.count, alarm.last_raised_at, alarm.arrival_deadline) == (2, _at(3), _at(15))
    assert alarm.device_id == "d2"
    resolved = _to(AlarmStatus.RESOLVED)
    with pytest.raises(IllegalAlarmTransition):
        resolved.repeat(at=_at(30))


def test_comments_any_time_even_after_resolution() -> None:
    for status in AlarmStatus:
        alarm = _to(status)
        comment = alarm.comment(by="nurse", at=_at(30), text="  called the daughter ")
        assert comment.text == "called the daughter"
        assert alarm.comments[-1] == comment
    with pytest.raises(InvalidAlarmInput):
        _alarm().comment(by="nurse", at=T0, text="   ")


ACTIONS = {
    "acknowledge": lambda a: a.acknowledge(by="u", at=_at(5)),
    "dispatch": lambda a: a.dispatch(assignee="c", by="u", at=_at(5)),
    "arrive": lambda a: a.arrive(by=a.assignee or "c", at=_at(5)),  # only the assignee arrives
    "resolve": lambda a: a.resolve(by="c", at=_at(5), outcome=AlarmOutcome.HANDLED_ON_SITE),
}
REACHED = {
    "acknowledge": AlarmStatus.ACKNOWLEDGED,
    "dispatch": AlarmStatus.DISPATCHED,
    "arrive": AlarmStatus.ARRIVED,
    "resolve": AlarmStatus.RESOLVED,
}
LEGAL = {
    AlarmStatus.RAISED: {"acknowledge"},
    AlarmStatus.ACKNOWLEDGED: {"dispatch"},  # resolve only as false_alarm, tested below
    AlarmStatus.DISPATCHED: {"dispatch", "arrive"},
    AlarmStatus.ARRIVED: {"resolve"},
    AlarmStatus.RESOLVED: set(),
}


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for s in AlarmStatus for a in ACTIONS if a not in LEGAL[s]],
)
def test_every_illegal_transition_is_refused_with_allowed_steps(
    status: AlarmStatus, action: str
) -> None:
    alarm = _to(status)
    with pytest.raises(IllegalAlarmTransition) as caught:
        ACTIONS[action](alarm)
    assert alarm.status is status  # unchanged
    assert caught.value.allowed_actions == alarm.allowed_actions()
    assert caught.value.state == status.value
    assert caught.value.extra["allowed_actions"] == list(alarm.allowed_actions())
    assert "allowed:" in str(caught.value)


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in LEGAL for a in sorted(LEGAL[s])])
def test_every_legal_transition_succeeds(status: AlarmStatus, action: str) -> None:
    alarm = _to(status)
    alarm.pop_changes()
    ACTIONS[action](alarm)
    assert alarm.status is REACHED[action]
    assert [c.kind.value for c in alarm.pop_changes()] == [REACHED[action].value]


def test_acknowledged_alarm_may_be_closed_as_false_alarm_only() -> None:
    alarm = _to(AlarmStatus.ACKNOWLEDGED)
    assert alarm.allowed_actions() == ("dispatch", "resolve (outcome false_alarm only)")
    alarm.resolve(by="u1", at=_at(3), outcome=AlarmOutcome.FALSE_ALARM, note="test press")
    assert (alarm.status, alarm.note) == (AlarmStatus.RESOLVED, "test press")


def test_resolved_alarm_lists_no_next_steps() -> None:
    alarm = _to(AlarmStatus.RESOLVED)
    with pytest.raises(IllegalAlarmTransition, match="none"):
        alarm.acknowledge(by="u", at=_at(30))


def test_dispatch_again_reassigns() -> None:
    alarm = _to(AlarmStatus.DISPATCHED)
    alarm.dispatch(assignee="c2", by="u1", at=_at(4))
    assert alarm.assignee == "c2"


def test_condition_cleared_is_recorded_once() -> None:
    alarm = _alarm()
    alarm.condition_cleared(at=_at(2))
    alarm.condition_cleared(at=_at(3))
    assert alarm.condition_cleared_at == _at(2)
    assert [c.kind for c in alarm.pop_changes()] == [ChangeKind.RAISED, ChangeKind.CLEARED]
    assert alarm.is_active
