"""Ages and month arithmetic, including 29 February (民法典 第二百零三条: month-end rule)."""

from __future__ import annotations

from datetime import date

import pytest

from intake.domain.dates import add_months, add_years, age_on


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1966, 12, 1), date(2026, 12, 1), 60),
        (date(1966, 12, 1), date(2026, 11, 30), 59),
        (date(1964, 2, 29), date(2024, 2, 29), 60),
        (date(1964, 2, 29), date(2024, 2, 28), 59),
        (date(1964, 2, 29), date(2025, 2, 28), 61),  # common year: 28 Feb is the anniversary
        (date(1964, 2, 29), date(2025, 2, 27), 60),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 3, 15), -3, date(2025, 12, 15)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_add_years_from_leap_day() -> None:
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
