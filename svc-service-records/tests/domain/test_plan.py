"""The visit plan's pure rules: occurrences, windows, matching."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from service_records.domain.plan import (
    PlanLine,
    TaskKind,
    minimum_lines,
    occurrences,
    visit_matches,
)


def always(_: date) -> bool:
    return True


def test_daily_visit_window_is_the_shanghai_day() -> None:
    daily, _ = minimum_lines(date(2022, 6, 1), daily_visits=1, medic_period_days=14)
    tasks = occurrences(daily, date(2022, 6, 1), date(2022, 6, 3), always)
    assert [t.day for t in tasks] == [date(2022, 6, 1), date(2022, 6, 2), date(2022, 6, 3)]
    assert tasks[0].opens_at == datetime(2022, 5, 31, 16, 0, tzinfo=UTC)
    assert tasks[0].closes_at == datetime(2022, 6, 1, 16, 0, tzinfo=UTC)


def test_medic_periods_are_fixed_14_days_from_establishment() -> None:
    _, medic = minimum_lines(date(2022, 6, 1), daily_visits=1, medic_period_days=14)
    tasks = occurrences(medic, date(2022, 6, 5), date(2022, 7, 1), always)
    assert [t.day for t in tasks] == [date(2022, 6, 15), date(2022, 6, 29)]
    assert tasks[0].closes_at - tasks[0].opens_at == timedelta(days=14)
    assert tasks[0].roles == frozenset({"nurse", "doctor"})


def test_inactive_days_are_not_planned() -> None:
    line = PlanLine(key="item:x", kind=TaskKind.ITEM, anchor=date(2022, 6, 1), every_days=7)
    suspended = {date(2022, 6, 8)}
    tasks = occurrences(line, date(2022, 6, 1), date(2022, 6, 30), lambda d: d not in suspended)
    assert [t.day.day for t in tasks] == [1, 15, 22, 29]


def test_window_before_and_after_due_time() -> None:
    line = PlanLine(
        key="item:x",
        kind=TaskKind.ITEM,
        anchor=date(2022, 6, 1),
        due_time=time(9, 0),
        before=timedelta(hours=1),
        after=timedelta(hours=2),
        item_code="meal_help",
    )
    (task,) = occurrences(line, date(2022, 6, 1), date(2022, 6, 1), always)
    hours = [t.astimezone(UTC).hour for t in (task.opens_at, task.due_at, task.closes_at)]
    assert hours == [0, 1, 3]  # 08:00, 09:00, 11:00 Shanghai


def test_matching_needs_window_role_item_and_on_site() -> None:
    opens = datetime(2022, 6, 1, tzinfo=UTC)
    base = {
        "kind": TaskKind.ITEM,
        "item_code": "bath",
        "roles": frozenset({"nurse"}),
        "opens_at": opens,
        "closes_at": opens + timedelta(hours=3),
        "check_in_at": opens + timedelta(hours=1),
        "worker_role": "nurse",
        "mode": "on_site",
        "items": ["bath"],
    }
    assert visit_matches(**base)  # type: ignore[arg-type]
    assert not visit_matches(**{**base, "check_in_at": opens + timedelta(hours=3)})  # type: ignore[arg-type]
    assert not visit_matches(**{**base, "worker_role": "caregiver"})  # type: ignore[arg-type]
    assert not visit_matches(**{**base, "items": ["cleaning"]})  # type: ignore[arg-type]
    assert not visit_matches(**{**base, "mode": "video"})  # type: ignore[arg-type]
    assert not visit_matches(**{**base, "kind": TaskKind.FOLLOW_UP})  # type: ignore[arg-type]
