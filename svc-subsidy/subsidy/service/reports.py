"""Reconciliation (settlements vs ledger vs payments), anomalies, statements (CSV, PDF)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Literal

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Forbidden
from chassis.principal import Role
from subsidy import rendering
from subsidy.domain.anomalies import (
    Anomaly,
    BedSpan,
    duplicate_construction,
    suspended_days_paid,
    two_active_beds,
)
from subsidy.domain.facts import Suspension
from subsidy.domain.money import yuan
from subsidy.domain.periods import Period, day_before
from subsidy.domain.policy import ConstructionRule, SubsidyProfile
from subsidy.repositories.facts import FactsRepository, RunBed
from subsidy.repositories.reports import ReportRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.reports import AnomalyRead, ReconciliationRead, SettlementReconciliation
from subsidy.service.reads import visible_settlement
from subsidy.tables import BedFactRow, SettlementRow

Format = Literal["csv", "pdf"]
LINE_HEADER = ["bed", "elder", "for_period", "kind", "rule", "seed", "amount_yuan", "explanation"]


def _scope(ctx: RequestContext, jurisdiction: str) -> str | None:
    """The provider a caller is limited to (provider admins), None for an officer of the region."""
    require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
    if ctx.principal.role == Role.PROVIDER_ADMIN:
        return ctx.principal.provider_id or "-"
    if not ctx.principal.in_region(jurisdiction):
        raise Forbidden(f"jurisdiction {jurisdiction} is outside the officer's regions")
    return None


def _consistent(row: SettlementRow, posted: int, paid: int) -> bool:
    if row.status in ("draft", "submitted"):
        return posted == 0 and paid == 0
    if row.status == "approved":
        return posted == row.total_fen and paid == 0
    return posted == row.total_fen == paid


async def reconcile(
    *, uow: UnitOfWork, ctx: RequestContext, profile: SubsidyProfile, period: str
) -> ReconciliationRead:
    """Per settlement of the period: lines vs ledger vs payment; and the period's anomalies."""
    jurisdiction = profile.jurisdiction
    only = _scope(ctx, jurisdiction)
    month = Period.parse(period)
    async with uow:
        reports = uow.repo(ReportRepository)
        settlements = [
            s
            for s in await reports.settlements(jurisdiction, period)
            if only in (None, s.provider_id)
        ]
        moves = await reports.payable_movements([s.id for s in settlements])
        rows = []
        for s in settlements:
            posted = moves.get((s.id, "settlement"), 0)
            paid = -moves.get((s.id, "payment"), 0)
            clawed = -moves.get((s.id, "clawback"), 0)
            rows.append(
                SettlementReconciliation(
                    settlement_id=s.id,
                    provider_id=s.provider_id,
                    status=s.status,
                    lines_total_fen=s.total_fen,
                    posted_fen=posted,
                    paid_fen=paid,
                    clawed_back_fen=clawed,
                    consistent=_consistent(s, posted, paid),
                )
            )
        anomalies = await period_anomalies(uow, profile, month)
        beds_of_caller = None
        if only is not None:
            beds_of_caller = {
                b.bed_id for b in await reports.beds(jurisdiction) if b.provider_id == only
            }
    if beds_of_caller is not None:
        anomalies = [a for a in anomalies if set(a.bed_ids) & beds_of_caller]
    return ReconciliationRead(
        jurisdiction=jurisdiction,
        period=period,
        settlements=rows,
        anomalies=[
            AnomalyRead(kind=a.kind, elder_id=a.elder_id, bed_ids=list(a.bed_ids), detail=a.detail)
            for a in anomalies
        ],
    )


async def period_anomalies(
    uow: UnitOfWork, profile: SubsidyProfile, month: Period
) -> list[Anomaly]:
    reports = uow.repo(ReportRepository)
    jurisdiction = profile.jurisdiction
    construction = profile.rule_of("construction")
    cap = construction.cap_fen if isinstance(construction, ConstructionRule) else None
    found = duplicate_construction(
        await reports.settled_lines(jurisdiction, kind="construction"), cap
    )
    beds = await reports.beds(jurisdiction)
    spans = [BedSpan(b.bed_id, b.elder_id, b.established_on, _last_day(b)) for b in beds]
    found += two_active_beds(spans, month)
    suspensions: dict[str, tuple[Suspension, ...]] = {}
    facts_repo = uow.repo(FactsRepository)
    for provider in sorted({b.provider_id for b in beds}):
        suspensions.update(await facts_repo.suspensions_of(provider, jurisdiction))
    facts = {
        b.bed_id: RunBed.of(b).facts(suspensions.get(b.bed_id, ()), 0, None)
        for b in beds
        if b.bed_id in suspensions
    }
    lines = await reports.settled_lines(jurisdiction, for_period=str(month))
    found += suspended_days_paid(profile, lines, facts, month)
    return found


def _last_day(bed: BedFactRow) -> date | None:
    if bed.terminated_on is not None:
        last = day_before(bed.terminated_on)
        return min(last, bed.contract_end) if bed.contract_end else last
    return bed.contract_end


async def statement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str, fmt: Format
) -> tuple[bytes, str]:
    """One provider's statement for one month: every line with its rule, seed and arithmetic."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id)
        lines = await settlements.lines(row.id)
        header_facts = [
            ("settlement", row.id),
            ("provider", row.provider_id),
            ("jurisdiction / period", f"{row.jurisdiction} / {row.period}"),
            ("status", row.status),
            ("policy version", row.policy_version),
            ("total (yuan)", yuan(row.total_fen)),
            ("lines digest", row.lines_digest),
        ]
        title = f"家庭养老床位补贴结算单 Subsidy statement {row.period}"
    table = [
        [
            s.bed_id,
            s.elder_id,
            s.for_period,
            s.line.kind,
            s.line.rule,
            s.line.seed,
            yuan(s.line.amount_fen),
            s.line.explanation,
        ]
        for s in lines
    ]
    if fmt == "csv":
        return rendering.to_csv(LINE_HEADER, table), "text/csv; charset=utf-8"
    return rendering.to_pdf(
        title, header_facts, LINE_HEADER, table, wrap_last=True
    ), "application/pdf"


async def region_report(
    *, uow: UnitOfWork, ctx: RequestContext, profile: SubsidyProfile, period: str, fmt: Format
) -> tuple[bytes, str]:
    """The region's month: per provider and kind, the settled amounts and the state."""
    only = _scope(ctx, profile.jurisdiction)
    if only is not None:
        raise Forbidden("the region report is for officers")
    async with uow:
        reports = uow.repo(ReportRepository)
        settlements = await reports.settlements(profile.jurisdiction, period)
        per_kind: dict[tuple[str, str], int] = defaultdict(int)
        for s in settlements:
            for settled in await uow.repo(SettlementRepository).lines(s.id):
                per_kind[(s.id, settled.line.kind)] += settled.line.amount_fen
        table = [
            [s.provider_id, s.status, kind, yuan(amount)]
            for s in settlements
            for (sid, kind), amount in sorted(per_kind.items())
            if sid == s.id
        ]
        total = sum(s.total_fen for s in settlements)
    header = ["provider", "status", "kind", "amount_yuan"]
    if fmt == "csv":
        return rendering.to_csv(header, table), "text/csv; charset=utf-8"
    facts = [
        ("jurisdiction", f"{profile.name} {profile.jurisdiction}"),
        ("period", period),
        ("total (yuan)", yuan(total)),
    ]
    title = f"家庭养老床位补贴区域汇总 Region subsidy report {period}"
    return rendering.to_pdf(title, facts, header, table), "application/pdf"
