"""The calculators behind the preview routes: the same domain code as the settlement run."""

from __future__ import annotations

from collections.abc import Callable

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.errors import Unprocessable
from chassis.principal import Role
from subsidy.domain.calculators import calculate
from subsidy.domain.facts import BedFacts
from subsidy.domain.periods import Period
from subsidy.domain.policy import ScaleAwardRule, SubsidyProfile
from subsidy.domain.scale_award import MonthCount, scale_awards
from subsidy.policies.loader import load_profile
from subsidy.schemas.previews import (
    PreviewLine,
    ScaleAwardPreview,
    ScaleAwardPreviewRead,
    ScaleAwardRead,
    SkippedNote,
    SubsidyPreview,
    SubsidyPreviewRead,
)


def preview_subsidies(
    *,
    ctx: RequestContext,
    cmd: SubsidyPreview,
    profiles: Callable[[str], SubsidyProfile] = load_profile,
) -> SubsidyPreviewRead:
    """The lines due for one bed in one month (provider admins and officers), with the
    profile the settlement run uses (the amounts the deployment configured); the bed's own
    facts win over configuration (`voucher_fen` over `monthly_voucher_fen`)."""
    require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
    profile = profiles(cmd.jurisdiction)
    bed = cmd.bed
    calculation = calculate(
        profile,
        Period.parse(cmd.period),
        BedFacts(**bed.model_dump()),
    )
    return SubsidyPreviewRead(
        lines=[
            PreviewLine(
                kind=line.kind,
                amount_fen=line.amount_fen,
                payee=line.payee,
                rule=line.rule,
                seed=line.seed,
                explanation=line.explanation,
            )
            for line in calculation.lines
        ],
        total_fen=calculation.total_fen,
        notes=[SkippedNote(kind=s.kind, rule=s.rule, note=s.note) for s in calculation.skipped],
    )


def preview_scale_awards(*, ctx: RequestContext, cmd: ScaleAwardPreview) -> ScaleAwardPreviewRead:
    """The scale-award tiers a month-by-month count of qualifying elders reaches (officers)."""
    require_role(ctx.principal, Role.OFFICER)
    profile = load_profile(cmd.jurisdiction)
    rule = profile.rule_of("scale_award")
    if not isinstance(rule, ScaleAwardRule):
        raise Unprocessable([("jurisdiction", f"{cmd.jurisdiction} has no scale award")])
    periods = [m.period for m in cmd.months]
    repeated = sorted({p for p in periods if periods.count(p) > 1})
    if repeated:
        raise Unprocessable([("months", f"each period once; repeated: {repeated}")])
    awards = scale_awards(
        rule,
        [MonthCount(Period.parse(m.period), m.qualifying_elders) for m in cmd.months],
    )
    return ScaleAwardPreviewRead(
        awards=[
            ScaleAwardRead(
                tier=a.tier,
                window=a.window,
                amount_fen=a.amount_fen,
                district_match_fen=a.district_match_fen,
            )
            for a in awards
        ]
    )
