"""The masked name and address other services show of an elder (issue 10 item 15)."""

from __future__ import annotations

import pytest

from intake.domain.masking import mask_address, mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张桂英", "张**"), ("王五", "王*"), ("李", "*"), (" 欧阳娜娜 ", "欧***"), ("Li Na", "L* **")],
)
def test_the_name_keeps_only_the_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("detail", "masked"),
    [
        ("鳌峰街道 梅园路 5 号 302 室", "鳌峰街道 梅园路 * 号 *** 室"),
        ("江苏路４８０弄12号", "江苏路***弄**号"),  # full-width digits too
        ("幸福小区三幢二单元六〇一", "幸福小区*幢*单元***"),  # Chinese numerals
        ("天山路B座两楼", "天山路*座*楼"),
        ("幸福小区东门", "幸福小***"),  # nothing numeric: the first half only
        ("", ""),
    ],
)
def test_the_address_never_shows_the_door(detail: str, masked: str) -> None:
    assert mask_address(detail) == masked
    if detail:
        assert mask_address(detail) != detail
