"""Provider-level awards settle once: in their own month while it is open, else — a late fact
after the month was closed — in the next open month as an adjustment (issue 14 "late facts
after approval become adjustments in the next period, never edits"; 002 §八2, §八3)."""

from __future__ import annotations

from subsidy.domain.lines import FundingLeg, Line
from subsidy.domain.periods import Period
from subsidy.domain.provider_awards import (
    Award,
    is_due,
    may_claim,
    next_open_period,
    settled_as,
)

JUNE, JULY, AUGUST, SEPTEMBER = (Period(2022, m) for m in (6, 7, 8, 9))
TIER = Award("scale_award", "tier-1", JUNE)


def test_its_own_month_while_open() -> None:
    assert may_claim(JUNE, JUNE, {})
    assert may_claim(JUNE, JUNE, {"2022-06": "approved"})  # its own settlement: always
    assert not may_claim(JUNE, JULY, {})  # June not run yet: June settles it
    assert not may_claim(JUNE, JULY, {"2022-06": "draft"})
    assert not may_claim(JULY, JUNE, {})  # never before its month


def test_after_its_month_closed_the_next_open_month() -> None:
    closed = {"2022-06": "approved"}
    assert may_claim(JUNE, JULY, closed)
    assert may_claim(JUNE, JULY, {"2022-06": "submitted"})
    assert may_claim(JUNE, SEPTEMBER, {**closed, "2022-07": "paid", "2022-08": "approved"})
    # a draft between: that month is the next open one
    assert not may_claim(JUNE, SEPTEMBER, {**closed, "2022-07": "paid", "2022-08": "draft"})
    assert next_open_period(JUNE, {}) == JUNE
    assert next_open_period(JUNE, {"2022-06": "draft"}) == JUNE
    assert next_open_period(JUNE, closed) == JULY
    assert next_open_period(JUNE, {**closed, "2022-07": "paid", "2022-08": "draft"}) == AUGUST
    assert next_open_period(JUNE, {**closed, "2022-07": "paid"}) == AUGUST


def test_a_claim_decides_whatever_the_months() -> None:
    closed = {"2022-06": "approved", "2022-07": "draft"}
    assert is_due(TIER, JULY, this="stl-jul", claims={}, statuses=closed)
    claimed = {TIER.claim: "stl-jul"}
    assert is_due(TIER, JULY, this="stl-jul", claims=claimed, statuses=closed)
    # the holder keeps it even once June is a draft again (rejected): June does not take it
    reopened = {"2022-06": "draft", "2022-07": "draft"}
    assert is_due(TIER, JULY, this="stl-jul", claims=claimed, statuses=reopened)
    assert not is_due(TIER, JUNE, this="stl-jun", claims=claimed, statuses=reopened)
    assert not is_due(TIER, AUGUST, this="stl-aug", claims=claimed, statuses=closed)
    assert not is_due(TIER, Period(2022, 5), this="stl-may", claims={}, statuses={})


def test_a_late_line_says_where_it_comes_from() -> None:
    line = Line(
        kind="platform",
        amount_fen=20000000,
        payee="provider",
        rule="cn-platform",
        seed="002 §八3",
        explanation="platform passed acceptance 2022-06-12: 200000.00 yuan once per provider",
        funding=(FundingLeg("district", 20000000),),
    )
    assert settled_as(line, JUNE, JUNE, "platform acceptance of 2022-06-12") is line
    late = settled_as(line, JUNE, AUGUST, "platform acceptance of 2022-06-12")
    assert (late.amount_fen, late.funding, late.rule, late.seed) == (
        line.amount_fen,
        line.funding,
        line.rule,
        line.seed,
    )
    assert late.explanation.startswith("adjustment of 2022-06 (late fact: platform acceptance")
    assert "settled in 2022-08 under cn-platform, 002 §八3" in late.explanation
    assert late.explanation.endswith(line.explanation)
