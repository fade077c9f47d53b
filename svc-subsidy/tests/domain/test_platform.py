"""Changning's platform subsidy (002 §八3: "按照每家服务机构 20 万元的标准，给予家庭照护床位信息平台
一次性建设补贴", "同一家服务机构只能享受一次", "在信息平台建成并通过验收后进行拨付")."""

from __future__ import annotations

from datetime import date

from subsidy.domain.lines import FundingLeg, Line, SkippedRule
from subsidy.domain.periods import Period
from subsidy.domain.platform import platform_award, platform_line
from subsidy.domain.policy import PlatformRule
from subsidy.domain.provider_awards import Award
from subsidy.policies.loader import load_profile

RULE = load_profile("310105").rule_of("platform")
assert isinstance(RULE, PlatformRule)
JULY = Period(2022, 7)


def test_the_line_of_the_acceptance_month() -> None:
    line = platform_line(RULE, date(2022, 7, 12))
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
    assert platform_award(date(2022, 7, 12)) == Award("platform", "once", JULY)


def test_not_in_force_is_a_note() -> None:
    skipped = platform_line(
        RULE.model_copy(update={"valid_to": date(2022, 6, 30)}), date(2022, 7, 1)
    )
    assert isinstance(skipped, SkippedRule)
    assert "not in force" in skipped.note
