"""The monthly settlement run of one provider in one jurisdiction, and its dry run.

Deterministic (same facts → same lines, same ids, same digest) and idempotent: the settlement row
is created once and locked, a re-run of a draft replaces its lines, so whatever the number of
runs or crashes there is one line per (elder, month, kind). Two runs racing serialise on the row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import IllegalTransition
from subsidy.domain.bed_adjustments import SETTLED, AdjustmentKey, may_carry
from subsidy.domain.lines import Line
from subsidy.domain.periods import Period
from subsidy.domain.platform import platform_award, platform_line
from subsidy.domain.policy import PlatformRule, ScaleAwardRule, SubsidyProfile, VoucherRule
from subsidy.domain.provider_awards import (
    PROVIDER_LEVEL,
    Award,
    is_due,
    settled_as,
    tier_award,
)
from subsidy.domain.reopened_marks import BedMonth, MarkRead, accounted_marks
from subsidy.domain.scale_award import (
    MonthCount,
    ScaleAward,
    month_counts,
    scale_award_line,
    scale_awards,
)
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
from subsidy.domain.settlement_run import (
    BedInput,
    adjustment_candidates,
    one_per_elder,
    settle_month,
)
from subsidy.repositories.facts import FactsRepository, RunBed
from subsidy.repositories.marks import MarksRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.batches import SettlementBatchRead, SkippedSettlement
from subsidy.schemas.settlements import (
    LineChangeRead,
    SettlementDiffRead,
    SettlementRead,
    SettlementRun,
)
from subsidy.service.access import require_scope
from subsidy.service.events import by_kind, emit_settlements, settlement_event
from subsidy.service.reads import settlement_read
from subsidy.tables import PlatformAcceptanceRow


@dataclass
class PreparedRuns:
    """Everything a run reads and claims, before the providers' month lines are computed: the
    month's calculators run provider by provider (`lines_of`), so a run can write each
    provider's lines while it computes the next one's."""

    profile: SubsidyProfile
    period: Period
    inputs: dict[str, list[BedInput]]
    adjustments: dict[str, list[SettledLine]]
    provider_level: dict[str, list[SettledLine]]
    marks: dict[str, list[MarkRead]]

    def lines_of(self, provider_id: str) -> list[SettledLine]:
        """The provider's lines in their one order: the month's, its adjustments, its awards."""
        month = settle_month(self.profile, self.period, self.inputs[provider_id])
        return ordered(
            [
                *month.lines,
                *self.adjustments.get(provider_id, []),
                *self.provider_level.get(provider_id, []),
            ]
        )


async def compute_lines(
    uow: UnitOfWork, profile: SubsidyProfile, provider_id: str, period: Period
) -> list[SettledLine]:
    """This month's lines of one provider (a dry run: nothing claimed, nothing written)."""
    prepared = await prepare_runs(uow, profile, [provider_id], period)
    return prepared.lines_of(provider_id)


async def prepare_runs(
    uow: UnitOfWork,
    profile: SubsidyProfile,
    provider_ids: Sequence[str],
    period: Period,
    *,
    claim_at: datetime | None = None,
) -> PreparedRuns:
    """Per provider, this month's beds, the adjustments of re-opened months and the provider-level
    awards; the month's lines come from `PreparedRuns.lines_of`. Every fact is read once for the set (one query per kind of fact, whatever the number of
    providers); the lines are computed per provider (one line per elder, month and kind within
    a settlement). `claim_at`: a run claims the provider-level awards it settles (a dry run,
    None, only reads). The re-opened marks are read first, before any fact (and locked by a
    run): every mark the run read has its fact in what the run reads next."""
    marks = await uow.repo(MarksRepository).open_marks(
        profile.jurisdiction, provider_ids, period, lock=claim_at is not None
    )
    facts = uow.repo(FactsRepository)
    settlements = uow.repo(SettlementRepository)
    jurisdiction = profile.jurisdiction
    voucher = profile.rule_of("voucher_settlement")
    hourly = voucher.hourly_value_fen if isinstance(voucher, VoucherRule) else None
    no_services = 0 if voucher else None

    async def services(month: Period) -> dict[str, int | None]:
        if voucher is None:
            return {}
        return await facts.services_in(jurisdiction, provider_ids, month, hourly)

    beds = await facts.beds_in(jurisdiction, provider_ids)
    suspensions = await facts.suspensions_in(jurisdiction, provider_ids)
    paid = await settlements.construction_paid_before(jurisdiction, provider_ids, period)
    delivered = await services(period)
    inputs: dict[str, list[BedInput]] = {provider: [] for provider in provider_ids}
    by_bed: dict[tuple[str, str], RunBed] = {}
    for bed in beds:
        by_bed[(bed.provider_id, bed.bed_id)] = bed
        inputs[bed.provider_id].append(
            BedInput(
                bed.bed_id,
                bed.elder_id,
                bed.facts(
                    suspensions.get(bed.bed_id, ()),
                    paid.get(bed.elder_id, 0),
                    delivered.get(bed.bed_id, no_services),
                ),
                bed.payments_suspended,
            )
        )

    months: dict[str, set[tuple[str, str]]] = defaultdict(set)
    reopened = [mark for mark in marks if mark.period < str(period)]
    statuses = await settlements.statuses_of(jurisdiction, provider_ids) if reopened else {}
    for mark in reopened:
        # adjusted against what was approved: a month still open (a draft, or submitted and
        # waiting for its checker) settles its own facts; its mark waits until it is approved
        settled_month = statuses.get(mark.provider_id, {}).get(mark.period) in SETTLED
        if (mark.provider_id, mark.bed_id) in by_bed and settled_month:
            months[mark.period].add((mark.provider_id, mark.bed_id))
    recomputed: dict[str, dict[tuple[str, str], BedInput]] = defaultdict(dict)
    for month_text, pairs in sorted(months.items()):
        earlier = Period.parse(month_text)
        paid_then = await settlements.construction_paid_before(jurisdiction, provider_ids, earlier)
        delivered_then = await services(earlier)
        for provider_id, bed_id in sorted(pairs):
            bed = by_bed[(provider_id, bed_id)]
            recomputed[provider_id][(bed_id, month_text)] = BedInput(
                bed_id,
                bed.elder_id,
                bed.facts(
                    suspensions.get(bed_id, ()),
                    paid_then.get(bed.elder_id, 0),
                    delivered_then.get(bed_id, no_services),
                ),
                bed.payments_suspended,
            )
    settled = await settlements.settled_for(
        jurisdiction,
        [(p, bed, month) for p, pairs in recomputed.items() for bed, month in pairs],
    )
    candidates: dict[str, list[SettledLine]] = {}
    for provider_id, redone in recomputed.items():
        before = {(bed, m): settled.get((provider_id, bed, m), []) for bed, m in redone}
        candidates[provider_id] = adjustment_candidates(profile, redone, before)
    adjustments, blocked = await _claimed_adjustments(
        uow, profile, period, provider_ids, recomputed, candidates, claim_at
    )
    provider_level = await _provider_lines(uow, profile, provider_ids, period, inputs, claim_at)
    return PreparedRuns(
        profile,
        period,
        inputs,
        adjustments,
        provider_level,
        accounted_marks(marks, str(period), statuses, blocked),
    )


def _adjustment_key(line: SettledLine) -> AdjustmentKey:
    return (line.bed_id, line.for_period, line.line.kind)


async def _claimed_adjustments(
    uow: UnitOfWork,
    profile: SubsidyProfile,
    period: Period,
    provider_ids: Sequence[str],
    recomputed: Mapping[str, Mapping[tuple[str, str], BedInput]],
    candidates: Mapping[str, list[SettledLine]],
    claim_at: datetime | None,
) -> tuple[dict[str, list[SettledLine]], set[BedMonth]]:
    """Per provider, the per-bed adjustments its settlement carries: those no other open
    settlement holds (`domain/bed_adjustments.py`), one per elder, month and kind. `claim_at`
    set (a run): its claims become these — new ones taken, an approved holder's taken over,
    those no longer due released — and only those it holds afterwards are kept (a concurrent
    run of another month may have taken one first); None (a dry run): nothing is written.
    Also the (provider, bed, month) recomputed whose adjustments are not all this run's to
    account for: one of any kind held by another open settlement, or a claim lost."""
    settlements = uow.repo(SettlementRepository)
    holders = await settlements.adjustment_holders(
        {pair for redone in recomputed.values() for pair in redone}
    )
    this = {p: settlement_id(p, profile.jurisdiction, str(period)) for p in provider_ids}
    blocked = {
        (provider_id, bed, month)
        for provider_id, redone in recomputed.items()
        for (bed, month, _), holder in holders.items()
        if (bed, month) in redone and not may_carry(holder, this[provider_id])
    }
    carried = {
        provider_id: one_per_elder(
            [
                line
                for line in candidates.get(provider_id, [])
                if may_carry(holders.get(_adjustment_key(line)), this[provider_id])
            ]
        )
        for provider_id in provider_ids
    }
    if claim_at is None:
        return carried, blocked
    held = await settlements.claim_adjustments(
        {this[p]: [_adjustment_key(line) for line in carried[p]] for p in provider_ids},
        holders,
        claim_at,
    )
    kept: dict[str, list[SettledLine]] = {}
    for p, lines in carried.items():
        mine = held.get(this[p], set())
        kept[p] = [line for line in lines if _adjustment_key(line) in mine]
        blocked |= {
            (p, line.bed_id, line.for_period)
            for line in lines
            if _adjustment_key(line) not in mine  # a concurrent run took it first
        }
    return kept, blocked


@dataclass
class _Candidates:
    """A provider's provider-level awards reached by the facts, and how to write their lines."""

    awards: list[Award] = field(default_factory=list)
    platform: tuple[Line, str] | None = None  # the line and the fact it rests on
    tiers: dict[str, ScaleAward] = field(default_factory=dict)
    months: list[MonthCount] = field(default_factory=list)

    def lines(
        self, scale: ScaleAwardRule | None, due: Sequence[Award], period: Period
    ) -> list[SettledLine]:
        """One line per kind and month an award belongs to (tiers of one window together), as
        settled in `period`: an adjustment when it belongs to an earlier month."""
        grouped: dict[tuple[str, Period], list[Award]] = defaultdict(list)
        for award in due:
            grouped[(award.kind, award.natural)].append(award)
        lines = []
        for (kind, natural), awards in sorted(grouped.items()):
            if kind == "platform" and self.platform is not None:
                line, fact = self.platform
            elif scale is not None:
                reached = sorted((self.tiers[a.award] for a in awards), key=lambda a: a.tier)
                line = scale_award_line(scale, self.months, reached)
                fact = f"window {reached[0].window} reached"
            else:  # pragma: no cover - an award is only a candidate under its rule
                continue
            settled = settled_as(line, natural, period, fact)
            lines.append(SettledLine(PROVIDER_LEVEL, PROVIDER_LEVEL, str(natural), settled))
        return lines


def _candidates(
    acceptance: PlatformAcceptanceRow | None,
    platform: PlatformRule | None,
    scale: ScaleAwardRule | None,
    jurisdiction: str,
    period: Period,
    beds: Sequence[BedInput],
) -> _Candidates:
    """The awards a provider's facts reach (its platform acceptance, read for the set)."""
    found = _Candidates()
    accepted = acceptance is not None and acceptance.jurisdiction == jurisdiction
    if platform is not None and acceptance is not None and accepted:
        line = platform_line(platform, acceptance.accepted_on)
        if isinstance(line, Line):
            found.awards.append(platform_award(acceptance.accepted_on))
            found.platform = (line, f"platform acceptance of {acceptance.accepted_on}")
    if scale is not None:
        found.months = month_counts([(b.elder_id, b.facts) for b in beds], period)
        for reached in scale_awards(scale, found.months):
            if scale.valid_in(reached.last.first_day, reached.last.last_day):
                award = Award("scale_award", tier_award(reached.tier), reached.last)
                found.awards.append(award)
                found.tiers[award.award] = reached
    return found


async def _provider_lines(
    uow: UnitOfWork,
    profile: SubsidyProfile,
    provider_ids: Sequence[str],
    period: Period,
    beds: Mapping[str, list[BedInput]],
    claim_at: datetime | None,
) -> dict[str, list[SettledLine]]:
    """Per provider, its provider-level lines: the platform subsidy (002 §八3) and the scale
    award's tiers (002 §八2), each award on the one settlement that claims it — the settlement
    of the month it belongs to, or after that month was closed without it, the next open one
    as an adjustment (`domain/provider_awards.py`). `claim_at` set (a run): the claims are
    written and only the awards held are settled; None (a dry run): nothing is written."""
    platform = profile.rule_of("platform")
    scale = profile.rule_of("scale_award")
    platform = platform if isinstance(platform, PlatformRule) else None
    scale = scale if isinstance(scale, ScaleAwardRule) else None
    if platform is None and scale is None:
        return {}
    jurisdiction = profile.jurisdiction
    settlements = uow.repo(SettlementRepository)
    statuses = await settlements.statuses_of(jurisdiction, provider_ids)
    claims = await settlements.award_claims_of(jurisdiction, provider_ids)
    acceptances = (
        await uow.repo(FactsRepository).platform_acceptances_of(provider_ids) if platform else {}
    )
    found: dict[str, list[SettledLine]] = {}
    for provider_id in provider_ids:
        this = settlement_id(provider_id, jurisdiction, str(period))
        candidates = _candidates(
            acceptances.get(provider_id), platform, scale, jurisdiction, period, beds[provider_id]
        )
        due = [
            award
            for award in candidates.awards
            if is_due(
                award,
                period,
                this=this,
                claims=claims.get(provider_id, {}),
                statuses=statuses.get(provider_id, {}),
            )
        ]
        if claim_at is not None:
            held = await settlements.claim_awards(
                settlement_id=this,
                provider_id=provider_id,
                jurisdiction=jurisdiction,
                awards=due,
                now=claim_at,
            )
            due = [award for award in due if award.claim in held]
        found[provider_id] = candidates.lines(scale, due, period)
    return found


async def run_providers(
    uow: UnitOfWork,
    ctx: RequestContext,
    profile: SubsidyProfile,
    period: Period,
    provider_ids: Sequence[str],
) -> SettlementBatchRead:
    """Inside the caller's transaction: create the settlement rows once, lock them, recompute
    the drafts' lines and replace them; settlement.calculated for each draft run."""
    settlements = uow.repo(SettlementRepository)
    ids = {settlement_id(p, profile.jurisdiction, str(period)): p for p in provider_ids}
    await settlements.create_many_if_missing(
        [
            {
                "id": stl_id,
                "provider_id": provider_id,
                "jurisdiction": profile.jurisdiction,
                "period": str(period),
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
            for stl_id, provider_id in sorted(ids.items())
        ]
    )
    rows = await settlements.get_many(list(ids), lock=True)
    drafts = [row for row in rows if row.status == SettlementStatus.DRAFT]
    skipped = [SkippedSettlement(id=row.id, status=row.status) for row in rows if row not in drafts]
    prepared = await prepare_runs(
        uow, profile, [row.provider_id for row in drafts], period, claim_at=ctx.now
    )
    lines: dict[str, list[SettledLine]] = {}

    def computed() -> Iterator[tuple[str, list[SettledLine]]]:
        # provider by provider as the COPY asks for them: PostgreSQL writes the lines sent while
        # the next provider's are computed (the other core), not all of them afterwards
        for row in drafts:
            lines[row.provider_id] = prepared.lines_of(row.provider_id)
            yield row.id, lines[row.provider_id]

    await settlements.replace_lines_of([row.id for row in drafts], computed())
    await uow.repo(MarksRepository).record_read(
        {row.id: prepared.marks.get(row.provider_id, []) for row in drafts}
    )
    await settlements.mark_many(
        drafts,
        [
            {
                "policy_version": profile.version,
                "run_no": row.run_no + 1,
                "lines_digest": digest(lines[row.provider_id]),
                "line_count": len(lines[row.provider_id]),
                "total_fen": sum(s.line.amount_fen for s in lines[row.provider_id]),
                "ran_at": ctx.now,
                "ran_by": ctx.principal.sub,
            }
            for row in drafts
        ],
    )
    await emit_settlements(
        uow,
        [
            settlement_event(row, "calculated", by_kind(lines[row.provider_id]), now=ctx.now)
            for row in drafts
        ],
    )
    return SettlementBatchRead(settlements=[settlement_read(r) for r in drafts], skipped=skipped)


async def run_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: SettlementRun, profile: SubsidyProfile
) -> SettlementRead:
    """Compute (or recompute, while draft) one provider's month: `run_providers` with a set of
    one. Approved months are never re-run: late facts become adjustments."""
    require_scope(ctx.principal, cmd.provider_id, cmd.jurisdiction)
    async with uow:
        runs = await run_providers(uow, ctx, profile, Period.parse(cmd.period), [cmd.provider_id])
        for skipped in runs.skipped:
            status = SettlementStatus(skipped.status)
            raise IllegalTransition(
                state=status.value,
                action=SettlementAction.RUN.value,
                allowed_actions=allowed_actions(status),
                entity="settlement",
            )
        await uow.commit()
        return runs.settlements[0]


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
