"""An open alarm of a bed moved to another provider (001 §四(六) "试点地区民政部门应及时重新选定
服务机构") is the new provider's: a worker of the old one it was dispatched to is released and the
alarm waits for the new provider's dispatch; someone already on site stays on record."""

from datetime import UTC, datetime, timedelta

import pytest

from chassis.testing.seeds import quoted_in_seed
from homebed_schemas.events.iot import AlarmSeverity
from iot_ingest.domain.alarms.lifecycle import (
    Actor,
    Alarm,
    AlarmOutcome,
    AlarmStatus,
    ChangeKind,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _alarm() -> Alarm:
    alarm = Alarm.raise_new(
        alarm_id="a-1",
        bed_id="bed-1",
        provider_id="p1",
        alarm_type="fall",
        severity=AlarmSeverity.CRITICAL,
        at=T0,
    )
    alarm.pop_changes()
    return alarm


def test_the_seed_says_civil_affairs_choose_another_provider() -> None:
    assert quoted_in_seed("001", "试点地区民政部门应及时重新选定服务机构")


def test_a_dispatched_alarm_goes_back_to_the_new_providers_queue() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="nurse-1", at=T0 + timedelta(minutes=1))
    alarm.dispatch(assignee="carer-7", by="nurse-1", at=T0 + timedelta(minutes=2))
    alarm.pop_changes()

    released = alarm.hand_over(to_provider="p2", at=T0 + timedelta(minutes=3))

    assert released == "carer-7"
    assert alarm.provider_id == "p2"
    assert alarm.status is AlarmStatus.ACKNOWLEDGED
    assert (alarm.assignee, alarm.dispatched_by, alarm.dispatched_at) == (None, None, None)
    assert alarm.acknowledged_by == "nurse-1"  # a fact, kept
    [change] = alarm.pop_changes()
    assert change.kind is ChangeKind.HANDED_OVER
    assert change.previous_provider_id == "p1"
    assert change.actor == "platform"
    assert change.text is not None
    assert "carer-7 released" in change.text
    assert "001 §四(六)" in change.text
    allowed, _ = alarm.actions_for(
        Actor("nurse-9", provider_admin=False), T0 + timedelta(minutes=4)
    )
    assert "dispatch" in allowed


def test_a_raised_alarm_stays_raised_and_an_arrival_stays_on_record() -> None:
    raised = _alarm()
    assert raised.hand_over(to_provider="p2", at=T0) is None
    assert (raised.status, raised.provider_id) == (AlarmStatus.RAISED, "p2")

    on_site = _alarm()
    on_site.acknowledge(by="nurse-1", at=T0 + timedelta(minutes=1))
    on_site.dispatch(assignee="carer-7", by="nurse-1", at=T0 + timedelta(minutes=2))
    on_site.arrive(by="carer-7", at=T0 + timedelta(minutes=9))
    assert on_site.hand_over(to_provider="p2", at=T0 + timedelta(minutes=10)) is None
    assert on_site.status is AlarmStatus.ARRIVED
    assert (on_site.arrived_by, on_site.assignee) == ("carer-7", "carer-7")
    on_site.resolve(by="admin-p2", at=T0 + timedelta(minutes=20), outcome=AlarmOutcome.OTHER)
    assert on_site.status is AlarmStatus.RESOLVED


def test_a_close_request_of_the_old_providers_admin_lapses() -> None:
    alarm = _alarm()
    alarm.acknowledge(by="nurse-1", at=T0 + timedelta(minutes=1))
    late = T0 + timedelta(minutes=30)
    alarm.resolve(
        by="admin-p1", at=late, outcome=AlarmOutcome.FALSE_ALARM, note="x", provider_admin=True
    )
    assert alarm.close_requested_by == "admin-p1"
    alarm.hand_over(to_provider="p2", at=late + timedelta(minutes=1))
    assert (alarm.close_requested_by, alarm.close_requested_at) == (None, None)


@pytest.mark.parametrize("to_provider", ["p1", "p2"])
def test_a_closed_alarm_or_one_already_theirs_is_kept(to_provider: str) -> None:
    alarm = _alarm()
    if to_provider == "p2":
        alarm.acknowledge(by="nurse-1", at=T0 + timedelta(minutes=1))
        alarm.resolve(by="nurse-1", at=T0 + timedelta(minutes=2), outcome=AlarmOutcome.FALSE_ALARM)
    alarm.pop_changes()
    before = (alarm.provider_id, alarm.status)
    assert alarm.hand_over(to_provider=to_provider, at=T0 + timedelta(minutes=3)) is None
    assert (alarm.provider_id, alarm.status) == before
    assert alarm.pop_changes() == []


def test_last_changed_at_is_the_latest_instant_on_the_alarm() -> None:
    alarm = _alarm()
    assert alarm.last_changed_at == T0
    alarm.acknowledge(by="nurse-1", at=T0 + timedelta(minutes=1))
    alarm.dispatch(assignee="carer-7", by="nurse-1", at=T0 + timedelta(minutes=2))
    assert alarm.last_changed_at == T0 + timedelta(minutes=2)
