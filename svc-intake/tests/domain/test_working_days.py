"""Five Chinese working days (001 §四(六)) across National Day and its make-up workdays."""

from __future__ import annotations

from datetime import date

import pytest

from intake.domain.working_days import add_working_days


@pytest.mark.parametrize(
    ("event", "due"),
    [
        # 2025: Sun 28 Sep is a make-up workday; 1–8 Oct off; Sat 11 Oct is a make-up workday.
        (date(2025, 9, 26), date(2025, 10, 10)),  # counts Sun 28 Sep; skips 1–8 Oct
        (date(2025, 9, 30), date(2025, 10, 14)),  # counts Sat 11 Oct
        (date(2025, 10, 1), date(2025, 10, 14)),  # event on a holiday
        # 2026: Sun 20 Sep make-up; 25 Sep (中秋) and 1–7 Oct off; Sat 10 Oct make-up.
        (date(2026, 9, 18), date(2026, 9, 24)),  # counts Sun 20 Sep
        (date(2026, 9, 24), date(2026, 10, 9)),  # skips 25 Sep and National Day
        (date(2026, 10, 1), date(2026, 10, 13)),  # counts Sat 10 Oct
        # an ordinary week: Monday's event is due the next Monday
        (date(2026, 3, 2), date(2026, 3, 9)),
    ],
)
def test_five_working_days(event: date, due: date) -> None:
    deadline = add_working_days(event, 5)
    assert deadline.due == due
    assert deadline.estimated is False


def test_plain_weekday_counting_would_be_wrong_here() -> None:
    # Monday–Friday counting from Fri 26 Sep 2025 would say Fri 3 Oct, in the middle of the holiday.
    assert add_working_days(date(2025, 9, 26), 5).due != date(2025, 10, 3)


def test_late_is_strictly_after_the_due_date() -> None:
    deadline = add_working_days(date(2025, 9, 30), 5)
    assert not deadline.is_late(date(2025, 10, 14))
    assert deadline.is_late(date(2025, 10, 15))
    assert not deadline.is_late(date(2025, 9, 30))


def test_beyond_the_official_schedule_it_is_marked_estimated() -> None:
    deadline = add_working_days(date(2027, 3, 1), 5)
    assert deadline.estimated is True
    assert deadline.due == date(2027, 3, 8)


def test_at_least_one_working_day() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 3, 2), 0)
