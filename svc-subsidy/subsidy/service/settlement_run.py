"""The monthly settlement run of one provider in one jurisdiction, and its dry run.

Deterministic (same facts → same lines, same ids, same digest) and idempotent: the settlement row
is created once and locked, a re-run of a draft replaces its lines, so whatever the number of
runs or crashes there is one line per (elder, month, kind). Two runs racing serialise on the row.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Row

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import IllegalTransition
from subsidy.domain.facts import BedFacts, Suspension
from subsidy.domain.lines import Line
from subsidy.domain.periods import Period
from subsidy.domain.platform import PROVIDER_LEVEL, platform_line
from subsidy.domain.policy import PlatformRule, ScaleAwardRule, SubsidyProfile, VoucherRule
from subsidy.domain.scale_award import month_counts, scale_award_line, tiers_settled
from subsidy.domain.settlement import (
    SettledLine,
    SettlementAction,
    SettlementStatus,
    allowed_actions,
    diff,
    digest,
    ordered,
    settlement_id,
)
from subsidy.domain.settlement_run import BedInput, adjustment_lines, settle_month
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import (
    LineChangeRead,
    SettlementDiffRead,
    SettlementRead,
    SettlementRun,
)
from subsidy.service.access import require_scope
from subsidy.service.events import by_kind, emit_settlement
from subsidy.service.reads import settlement_read
from subsidy.tables import BedFactRow


def bed_facts(
    row: BedFactRow | Row[Any],
    suspensions: tuple[Suspension, ...],
    paid: int,
    services: int | None,
) -> BedFacts:
    return BedFacts(
        birth_date=row.birth_date,
        ability_level=row.ability_level,  # type: ignore[arg-type]
        economic_status=row.economic_status,  # type: ignore[arg-type]
        package_fee_fen=row.package_fee_fen,
        contract_start=row.contract_start,
        contract_end=row.contract_end,
        established_on=row.established_on,
        accepted_on=row.accepted_on,
        terminated_on=row.terminated_on,
        construction_investment_fen=row.construction_investment_fen,
        construction_paid_fen=paid,
        modification_cost_fen=row.modification_cost_fen,
        modification_consent=row.modification_consent,
        voucher_fen=row.voucher_fen,
        services_delivered_fen=services,
        suspensions=suspensions,
    )


async def compute_lines(
    uow: UnitOfWork, profile: SubsidyProfile, provider_id: str, period: Period
) -> list[SettledLine]:
    """This month's lines for the provider's beds, then the adjustments of re-opened months."""
    facts = uow.repo(FactsRepository)
    settlements = uow.repo(SettlementRepository)
    jurisdiction = profile.jurisdiction
    voucher = profile.rule_of("voucher_settlement")
    hourly = voucher.hourly_value_fen if isinstance(voucher, VoucherRule) else None

    async def services(month: Period) -> dict[str, int | None]:
        if voucher is None:
            return {}
        return await facts.services_of(provider_id, jurisdiction, month, hourly)

    beds = await facts.beds_of(provider_id, jurisdiction)
    suspensions = await facts.suspensions_of(provider_id, jurisdiction)
    paid = await settlements.construction_paid_before(provider_id, jurisdiction, period)
    delivered = await services(period)
    inputs = [
        BedInput(
            bed.bed_id,
            bed.elder_id,
            bed_facts(
                bed,
                suspensions.get(bed.bed_id, ()),
                paid.get(bed.elder_id, 0),
                delivered.get(bed.bed_id, 0 if voucher else None),
            ),
            bed.payments_suspended,
        )
        for bed in beds
        if bed.last_event_at.year > 1970  # placeholders: no lifecycle snapshot yet
    ]
    month = settle_month(profile, period, inputs)

    reopened = await facts.open_reopened(provider_id, jurisdiction, period)
    by_bed = {bed.bed_id: bed for bed in beds}
    months: dict[str, list[str]] = defaultdict(list)
    for bed_id, month_text in reopened:
        if bed_id in by_bed:
            months[month_text].append(bed_id)
    recomputed: dict[tuple[str, str], BedInput] = {}
    for month_text, bed_ids in sorted(months.items()):
        earlier = Period.parse(month_text)
        paid_then = await settlements.construction_paid_before(provider_id, jurisdiction, earlier)
        delivered_then = await services(earlier)
        for bed_id in bed_ids:
            bed = by_bed[bed_id]
            recomputed[(bed_id, month_text)] = BedInput(
                bed_id,
                bed.elder_id,
                bed_facts(
                    bed,
                    suspensions.get(bed_id, ()),
                    paid_then.get(bed.elder_id, 0),
                    delivered_then.get(bed_id, 0 if voucher else None),
                ),
                bed.payments_suspended,
            )
    settled = await settlements.settled_for(provider_id, jurisdiction, recomputed.keys())
    adjustments = adjustment_lines(profile, recomputed, settled)
    provider_level = await _provider_lines(uow, profile, provider_id, period, inputs)
    return ordered([*month.lines, *adjustments, *provider_level])


async def _provider_lines(
    uow: UnitOfWork,
    profile: SubsidyProfile,
    provider_id: str,
    period: Period,
    beds: list[BedInput],
) -> list[SettledLine]:
    """Provider-level lines: the platform subsidy in the month of its recorded acceptance
    (002 §八3), the scale award in the month its earliest reaching window ends (002 §八2)."""
    this = settlement_id(provider_id, profile.jurisdiction, str(period))
    settlements = uow.repo(SettlementRepository)
    found: list[Line] = []
    platform = profile.rule_of("platform")
    if isinstance(platform, PlatformRule):
        acceptance = await uow.repo(FactsRepository).platform_acceptance(provider_id)
        if acceptance is not None and acceptance.jurisdiction == profile.jurisdiction:
            paid = await settlements.provider_level_settled(provider_id, "platform", this)
            outcome = platform_line(platform, acceptance.accepted_on, period, paid > 0)
            if isinstance(outcome, Line):
                found.append(outcome)
    scale = profile.rule_of("scale_award")
    if isinstance(scale, ScaleAwardRule) and scale.valid_in(period.first_day, period.last_day):
        months = month_counts([(b.elder_id, b.facts) for b in beds], period)
        paid = await settlements.provider_level_settled(provider_id, "scale_award", this)
        award = scale_award_line(scale, months, period, tiers_settled(paid, scale))
        if award is not None:
            found.append(award)
    return [SettledLine(PROVIDER_LEVEL, PROVIDER_LEVEL, str(period), line) for line in found]


async def run_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: SettlementRun, profile: SubsidyProfile
) -> SettlementRead:
    """Compute (or recompute, while draft) the month's settlement; publishes
    settlement.calculated. Approved months are never re-run: late facts become adjustments."""
    require_scope(ctx.principal, cmd.provider_id, cmd.jurisdiction)
    period = Period.parse(cmd.period)
    stl_id = settlement_id(cmd.provider_id, cmd.jurisdiction, cmd.period)
    async with uow:
        settlements = uow.repo(SettlementRepository)
        await settlements.create_if_missing(
            {
                "id": stl_id,
                "provider_id": cmd.provider_id,
                "jurisdiction": cmd.jurisdiction,
                "period": cmd.period,
                "status": SettlementStatus.DRAFT.value,
                "policy_version": profile.version,
                "run_no": 0,
                "submission_no": 0,
                "lines_digest": digest([]),
                "line_count": 0,
                "total_fen": 0,
                "ran_at": ctx.now,
                "ran_by": ctx.principal.sub,
            }
        )
        row = await settlements.get(stl_id, lock=True)
        assert row is not None
        status = SettlementStatus(row.status)
        if status != SettlementStatus.DRAFT:
            raise IllegalTransition(
                state=status.value,
                action=SettlementAction.RUN.value,
                allowed_actions=allowed_actions(status),
                entity="settlement",
            )
        lines = await compute_lines(uow, profile, cmd.provider_id, period)
        await settlements.replace_lines(stl_id, lines)
        await settlements.mark(
            row,
            policy_version=profile.version,
            run_no=row.run_no + 1,
            lines_digest=digest(lines),
            line_count=len(lines),
            total_fen=sum(s.line.amount_fen for s in lines),
            ran_at=ctx.now,
            ran_by=ctx.principal.sub,
        )
        await emit_settlement(uow, row, "calculated", by_kind(lines), now=ctx.now)
        await uow.commit()
        return settlement_read(row)


async def dry_run(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: SettlementRun, profile: SubsidyProfile
) -> SettlementDiffRead:
    """What a run would change against the stored lines; writes nothing."""
    require_scope(ctx.principal, cmd.provider_id, cmd.jurisdiction)
    stl_id = settlement_id(cmd.provider_id, cmd.jurisdiction, cmd.period)
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await settlements.get(stl_id)
        stored = await settlements.lines(stl_id) if row else []
        lines = await compute_lines(uow, profile, cmd.provider_id, Period.parse(cmd.period))
        return SettlementDiffRead(
            settlement_id=stl_id,
            status=row.status if row else None,
            stored_digest=row.lines_digest if row else None,
            new_digest=digest(lines),
            changes=[
                LineChangeRead(
                    elder_id=c.key[0],
                    for_period=c.key[1],
                    kind=c.key[2],
                    before_fen=c.before_fen,
                    after_fen=c.after_fen,
                )
                for c in diff(stored, lines)
            ],
            new_total_fen=sum(s.line.amount_fen for s in lines),
        )
