"""The bed alarm projection's rule (issue 10 item 15): the latest snapshot of each alarm, a
closed alarm closed for good; the emergency contact only for the assignee of an open alarm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from intake.domain.bed_alarms import (
    UNMET_ASSIGNEE,
    BedAlarm,
    NotAlarmAssignee,
    is_assignee_of_open_alarm,
    next_state,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _alarm(status: str, assignee: str | None = None, minutes: float = 0) -> BedAlarm:
    return BedAlarm(
        alarm_id="a1",
        bed_id="bed-1",
        provider_id="prov-a",
        status=status,
        assignee=assignee,
        updated_at=T0 + timedelta(minutes=minutes),
    )


def test_a_new_alarm_is_kept_and_a_newer_snapshot_replaces_it() -> None:
    raised = _alarm("raised")
    assert next_state(None, raised) == raised
    dispatched = _alarm("dispatched", "carer-1", 3)
    assert next_state(raised, dispatched) == dispatched


def test_an_older_snapshot_never_overwrites_a_newer_one() -> None:
    reassigned = _alarm("dispatched", "carer-2", 10)
    escalated_earlier = _alarm("dispatched", "carer-1", 2)
    assert next_state(reassigned, escalated_earlier) is None


def test_a_close_always_applies_and_nothing_reopens_it() -> None:
    dispatched = _alarm("dispatched", "carer-1", 10)
    closed_by_bed_end = _alarm("resolved", "carer-1", 5)  # dated at the bed's event, earlier
    assert next_state(dispatched, closed_by_bed_end) == closed_by_bed_end
    assert next_state(closed_by_bed_end, _alarm("dispatched", "carer-1", 20)) is None
    assert next_state(closed_by_bed_end, closed_by_bed_end) is None  # a replay: no change


def test_only_the_assignee_of_an_open_alarm_may_call_the_family() -> None:
    assert is_assignee_of_open_alarm([_alarm("dispatched", "carer-1")], "carer-1")
    assert is_assignee_of_open_alarm([_alarm("arrived", "carer-1")], "carer-1")
    assert not is_assignee_of_open_alarm([_alarm("dispatched", "carer-1")], "carer-2")
    assert not is_assignee_of_open_alarm([_alarm("resolved", "carer-1")], "carer-1")
    assert not is_assignee_of_open_alarm([_alarm("acknowledged")], "carer-1")
    assert not is_assignee_of_open_alarm([], "carer-1")


def test_the_refusal_names_what_is_unmet() -> None:
    problem = NotAlarmAssignee("bed-1")
    assert problem.status == 403
    assert problem.extra == {
        "required_roles": ["provider_admin"],
        "unmet": [UNMET_ASSIGNEE],
        "bed_id": "bed-1",
    }
    assert "bed-1" in problem.detail
