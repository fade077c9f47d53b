"""Fen arithmetic rounds half up; months add with the end of month clamped."""

from __future__ import annotations

from datetime import date

from subsidy.domain.money import percent_of, prorate, yuan
from subsidy.domain.periods import Period, add_months


def test_ten_percent_in_fen_rounds_half_up() -> None:
    assert percent_of(80000, 10) == 8000
    assert percent_of(55555, 10) == 5556  # 5555.5 → 5556
    assert percent_of(55554, 10) == 5555  # 5555.4 → 5555
    assert percent_of(1, 50) == 1  # 0.5 fen → 1


def test_prorate_half_up() -> None:
    assert prorate(80000, 14, 31) == 36129  # 36129.03
    assert prorate(100, 1, 2) == 50
    assert prorate(3, 1, 2) == 2  # 1.5 → 2


def test_yuan_has_two_decimals() -> None:
    assert yuan(150000) == "1500.00"
    assert yuan(5) == "0.05"
    assert yuan(-1205) == "-12.05"


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2022, 4, 15), 3) == date(2022, 7, 15)
    assert add_months(date(2022, 11, 30), 3) == date(2023, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)


def test_period_arithmetic() -> None:
    period = Period.parse("2022-12")
    assert str(period.shifted(1)) == "2023-01"
    assert period.days == 31
    assert Period.parse("2024-02").days == 29
