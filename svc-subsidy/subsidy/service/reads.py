"""Reading settlements: one, a page of them, a page of one's lines."""

from __future__ import annotations

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound
from chassis.principal import Role
from subsidy.domain.settlement import SettlementStatus, allowed_actions, parse_funding
from subsidy.policies.loader import known_jurisdictions
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import (
    FundingLegRead,
    SettlementLineRead,
    SettlementRead,
    SettlementSummary,
)
from subsidy.service.access import require_visible
from subsidy.tables import SettlementLineRow, SettlementRow


def settlement_read(row: SettlementRow) -> SettlementRead:
    status = SettlementStatus(row.status)
    return SettlementRead(
        id=row.id,
        provider_id=row.provider_id,
        jurisdiction=row.jurisdiction,
        period=row.period,
        status=status.value,
        allowed_actions=allowed_actions(status),
        policy_version=row.policy_version,
        run_no=row.run_no,
        lines_digest=row.lines_digest,
        line_count=row.line_count,
        total_fen=row.total_fen,
        ran_at=row.ran_at,
        ran_by=row.ran_by,
        submitted_by=row.submitted_by,
        submitted_at=row.submitted_at,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        rejected_by=row.rejected_by,
        rejected_reason=row.rejected_reason,
        paid_at=row.paid_at,
        payment_reference=row.payment_reference,
        pending_transfer_id=row.pending_transfer_id,
    )


def line_read(row: SettlementLineRow) -> SettlementLineRead:
    return SettlementLineRead(
        id=row.id,
        bed_id=row.bed_id,
        elder_id=row.elder_id,
        for_period=row.for_period,
        kind=row.kind,
        rule=row.rule,
        seed=row.seed,
        payee=row.payee,
        amount_fen=row.amount_fen,
        funding=[
            FundingLegRead(level=leg.level, amount_fen=leg.amount_fen)
            for leg in parse_funding(row.funding)
        ],
        explanation=row.explanation,
    )


async def visible_settlement(
    settlements: SettlementRepository,
    ctx: RequestContext,
    settlement_id: str,
    *,
    lock: bool = False,
) -> SettlementRow:
    row = await settlements.get(settlement_id, lock=lock)
    if row is None:
        raise NotFound("settlement")
    require_visible(ctx.principal, row.provider_id, row.jurisdiction)
    return row


async def get_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str
) -> SettlementRead:
    """One settlement the caller may see."""
    async with uow:
        row = await visible_settlement(uow.repo(SettlementRepository), ctx, settlement_id)
        return settlement_read(row)


async def list_settlements(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    period: str | None,
    status: str | None,
    provider_id: str | None,
    limit: int,
    offset: int,
) -> Page[SettlementSummary]:
    """A provider admin's own settlements, or those of an officer's regions."""
    require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.OFFICER)
    principal = ctx.principal
    own = principal.provider_id if principal.role == Role.PROVIDER_ADMIN else None
    if own is not None and provider_id not in (None, own):
        return Page(items=[], total=0, limit=limit, offset=offset)
    regions = None
    if principal.role == Role.OFFICER:  # the jurisdictions with a profile inside their regions
        regions = [code for code in known_jurisdictions() if principal.in_region(code)]
    async with uow:
        rows, total = await uow.repo(SettlementRepository).page(
            provider_id=own or provider_id,
            regions=regions,
            period=period,
            status=status,
            limit=limit,
            offset=offset,
        )
        return Page(
            items=[
                SettlementSummary(
                    id=r.id,
                    provider_id=r.provider_id,
                    jurisdiction=r.jurisdiction,
                    period=r.period,
                    status=r.status,
                    line_count=r.line_count,
                    total_fen=r.total_fen,
                )
                for r in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )


async def list_lines(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str, limit: int, offset: int
) -> Page[SettlementLineRead]:
    """A settlement's lines in their one order (elder, month, kind)."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id)
        lines = await settlements.line_rows(settlement_id, limit=limit, offset=offset)
        return Page(
            items=[line_read(x) for x in lines], total=row.line_count, limit=limit, offset=offset
        )
