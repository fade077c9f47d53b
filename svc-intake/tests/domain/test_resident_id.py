"""Resident ID numbers: check digit, real birth date, known region, sex; elders' old codes pass."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from stdnum.cn import ric

from intake.domain.application import verify_identity
from intake.domain.errors import IdentityMismatch, InvalidResidentId
from intake.domain.resident_id import Sex, is_known_region, parse_resident_id

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("region", "birth"),
    [
        ("330102", "19460501"),  # 上城区 code dates from 1983
        ("341802", "19460501"),  # 宣州区 code dates from 2000
        ("341800", "19400101"),
        ("330326", "19350715"),  # 平阳县 code dates from 1981
        ("310105", "19500101"),
    ],
)
def test_elders_with_codes_younger_than_themselves_pass(
    make_id: Callable[..., str], region: str, birth: str
) -> None:
    number = make_id(region, birth)
    resident = parse_resident_id(number, today=TODAY)
    assert resident.region_code == region
    assert resident.birth_date.strftime("%Y%m%d") == birth


def test_stdnum_is_valid_would_have_rejected_them(make_id: Callable[..., str]) -> None:
    # The reason we do not use cn.ric.is_valid: it checks the code existed in the birth year.
    assert not ric.is_valid(make_id("330102", "19460501"))


def test_derives_birth_date_age_and_sex(make_id: Callable[..., str]) -> None:
    male = parse_resident_id(make_id("330102", "19460501", "011"), today=TODAY)
    female = parse_resident_id(make_id("330102", "19460501", "012"), today=TODAY)
    assert (male.sex, female.sex) == (Sex.MALE, Sex.FEMALE)
    assert male.birth_date == date(1946, 5, 1)
    assert male.age_on(date(2026, 4, 30)) == 79
    assert male.age_on(date(2026, 5, 1)) == 80


def test_lowercase_x_and_separators_are_accepted() -> None:
    number = "11010519491231002X"
    assert parse_resident_id(number.lower(), today=TODAY).number == number
    assert parse_resident_id("110105 19491231 002x", today=TODAY).number == number


def test_wrong_check_digit(make_id: Callable[..., str]) -> None:
    number = make_id("330102", "19460501")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(InvalidResidentId, match="check digit"):
        parse_resident_id(wrong, today=TODAY)


@pytest.mark.parametrize(
    ("birth", "problem"),
    [("19460230", "not a real date"), ("19450229", "not a real date"), ("20270101", "future")],
)
def test_bad_birth_dates(make_id: Callable[..., str], birth: str, problem: str) -> None:
    with pytest.raises(InvalidResidentId, match=problem):
        parse_resident_id(make_id("330102", birth), today=TODAY)


def test_leap_day_birth_is_real(make_id: Callable[..., str]) -> None:
    assert parse_resident_id(make_id("341802", "19440229"), today=TODAY).birth_date == date(
        1944, 2, 29
    )


def test_unknown_region(make_id: Callable[..., str]) -> None:
    with pytest.raises(InvalidResidentId, match="unknown region"):
        parse_resident_id(make_id("999999", "19460501"), today=TODAY)
    assert not is_known_region("339999")
    assert is_known_region("330103")  # 下城区, merged away in 2021: still on elders' cards


@pytest.mark.parametrize(
    "raw", ["", "33010219460501001", "3301021946050100101", "33010219460501A01X"]
)
def test_bad_shapes(raw: str) -> None:
    with pytest.raises(InvalidResidentId):
        parse_resident_id(raw, today=TODAY)


def test_error_and_repr_never_contain_the_number(make_id: Callable[..., str]) -> None:
    number = make_id("330102", "19460501")
    assert number not in repr(parse_resident_id(number, today=TODAY))
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id(wrong, today=TODAY)
    assert wrong not in str(caught.value)


def test_declared_birth_date_must_match(make_id: Callable[..., str]) -> None:
    number = make_id("330102", "19460501", "011")
    assert (
        verify_identity(number, today=TODAY, declared_birth_date=date(1946, 5, 1)).sex is Sex.MALE
    )
    with pytest.raises(IdentityMismatch) as caught:
        verify_identity(number, today=TODAY, declared_birth_date=date(1946, 5, 2))
    assert caught.value.fields == ("birth_date", "id_number")
    with pytest.raises(IdentityMismatch) as caught:
        verify_identity(number, today=TODAY, declared_sex=Sex.FEMALE)
    assert caught.value.fields == ("sex", "id_number")
