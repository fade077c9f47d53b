"""Which re-opened marks a run accounts for (its approval closes exactly those)."""

from __future__ import annotations

from subsidy.domain.reopened_marks import Mark, accounted_marks

JULY, AUGUST, SEPTEMBER = "2022-07", "2022-08", "2022-09"


def _mark(n: int, period: str, bed: str = "bed-1", revision: int = 1) -> Mark:
    return Mark(n, revision, "prov-a", bed, period)


def test_its_own_month_at_the_revision_read() -> None:
    found = accounted_marks([_mark(1, AUGUST, revision=3)], AUGUST, {}, set())
    assert found == {"prov-a": [(1, 3)]}


def test_an_earlier_month_only_once_approved_and_not_held_elsewhere() -> None:
    marks = [_mark(1, JULY), _mark(2, JULY, "bed-2"), _mark(3, JULY, "bed-3")]
    approved = {"prov-a": {JULY: "approved"}}
    blocked = {("prov-a", "bed-2", JULY)}  # another open settlement carries its adjustment
    assert accounted_marks(marks, AUGUST, approved, blocked) == {"prov-a": [(1, 1), (3, 1)]}
    waiting = {"prov-a": {JULY: "submitted"}}  # adjusted once approved, not before
    assert accounted_marks(marks, AUGUST, waiting, set()) == {}
    paid = {"prov-a": {JULY: "paid"}}
    assert accounted_marks([_mark(1, JULY)], AUGUST, paid, set()) == {"prov-a": [(1, 1)]}


def test_never_a_later_month() -> None:
    assert accounted_marks([_mark(1, SEPTEMBER)], AUGUST, {}, set()) == {}
