"""Changning's platform subsidy (002 §八3: "按照每家服务机构 20 万元的标准，给予家庭照护床位信息平台
一次性建设补贴", "同一家服务机构只能享受一次", "在信息平台建成并通过验收后进行拨付")."""

from __future__ import annotations

from datetime import date

from subsidy.domain.lines import FundingLeg, Line, SkippedRule
from subsidy.domain.periods import Period
from subsidy.domain.platform import platform_line
from subsidy.domain.policy import PlatformRule
from subsidy.policies.loader import load_profile

RULE = load_profile("310105").rule_of("platform")
assert isinstance(RULE, PlatformRule)
JULY = Period(2022, 7)


def test_due_once_in_the_month_of_acceptance() -> None:
    line = platform_line(RULE, date(2022, 7, 12), JULY, settled_before=False)
    assert isinstance(line, Line)
    assert (line.kind, line.amount_fen, line.rule, line.seed) == (
        "platform",
        20000000,
        "cn-platform",
        "002 §八3",
    )
    assert line.funding == (FundingLeg("district", 20000000),)
    assert "2022-07-12" in line.explanation
    assert "200000.00 yuan" in line.explanation


def test_nothing_before_acceptance_or_in_other_months() -> None:
    assert platform_line(RULE, None, JULY, settled_before=False) is None
    assert platform_line(RULE, date(2022, 8, 1), JULY, settled_before=False) is None
    assert platform_line(RULE, date(2022, 6, 30), JULY, settled_before=False) is None


def test_only_once_per_provider() -> None:
    skipped = platform_line(RULE, date(2022, 7, 12), JULY, settled_before=True)
    assert isinstance(skipped, SkippedRule)
    assert "只能享受一次" in skipped.note
