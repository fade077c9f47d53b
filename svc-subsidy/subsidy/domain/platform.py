"""Changning's platform subsidy (002 §八3): a fixed amount once per provider, paid after its
information platform is built and passes acceptance. A provider-level line (no bed, no elder)
in the settlement of the month the acceptance falls in."""

from __future__ import annotations

from datetime import date

from subsidy.domain.lines import FundingLeg, Line, SkippedRule
from subsidy.domain.money import yuan
from subsidy.domain.periods import Period
from subsidy.domain.policy import PlatformRule

PROVIDER_LEVEL = ""  # the bed and elder of a provider-level line: none


def platform_line(
    rule: PlatformRule, accepted_on: date | None, period: Period, settled_before: bool
) -> Line | SkippedRule | None:
    """The line due in `period`, a note why not, or None when the month has nothing to do."""
    if accepted_on is None or not period.contains(accepted_on):
        return None  # due once, in the month the platform passed acceptance
    if not rule.valid_in(period.first_day, period.last_day):
        return SkippedRule(rule.kind, rule.id, f"not due: {rule.id} not in force in {period}")
    if settled_before:
        return SkippedRule(
            rule.kind, rule.id, "not due: already settled once for this provider (只能享受一次)"
        )
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
