"""Changning's platform subsidy (002 §八3): a fixed amount once per provider, paid after its
information platform is built and passes acceptance. A provider-level line (no bed, no elder)
belonging to the month the acceptance falls in; settled once (`provider_awards`)."""

from __future__ import annotations

from datetime import date

from subsidy.domain.lines import FundingLeg, Line, SkippedRule
from subsidy.domain.money import yuan
from subsidy.domain.periods import Period
from subsidy.domain.policy import PlatformRule
from subsidy.domain.provider_awards import PLATFORM_AWARD, Award


def platform_award(accepted_on: date) -> Award:
    """The one award of the provider, belonging to the month of the acceptance."""
    return Award("platform", PLATFORM_AWARD, Period.of(accepted_on))


def platform_line(rule: PlatformRule, accepted_on: date) -> Line | SkippedRule:
    """The line of the acceptance's month, or a note when the rule is not in force then."""
    month = Period.of(accepted_on)
    if not rule.valid_in(month.first_day, month.last_day):
        return SkippedRule(rule.kind, rule.id, f"not due: {rule.id} not in force in {month}")
    return Line(
        kind="platform",
        amount_fen=rule.amount_fen,
        payee="provider",
        rule=rule.id,
        seed=rule.seed,
        explanation=(
            f"platform passed acceptance {accepted_on}: {yuan(rule.amount_fen)} yuan once per "
            "provider"
        ),
        funding=(FundingLeg(rule.funder, rule.amount_fen),),
    )
