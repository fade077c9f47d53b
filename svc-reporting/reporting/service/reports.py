"""Report batches for ops and provider admins: list, re-run a date range, send a correction."""

from __future__ import annotations

from datetime import date, timedelta

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, Unprocessable
from chassis.principal import Principal, Role
from reporting.domain.delivery import (
    BatchKind,
    BatchStatus,
    displayed_status,
    on_time,
    original_batch_id,
)
from reporting.repository import BatchRepository, ProviderRepository
from reporting.schemas import (
    ProviderProfileRead,
    ProviderProfileUpdate,
    ReportRerun,
    ReportSummary,
    RerunRead,
)
from reporting.service.delivery import correction_batch_id, new_batch
from reporting.tables import ProviderProfileRow, ReportBatchRow

MAX_RANGE_DAYS = 366


def summary(batch: ReportBatchRow, ctx: RequestContext) -> ReportSummary:
    status = displayed_status(batch.status, batch.report_date, ctx.now)
    return ReportSummary(
        batch_id=batch.batch_id,
        provider_id=batch.provider_id,
        report_date=batch.report_date,
        kind=batch.kind,
        corrects_batch_id=batch.corrects_batch_id,
        status=status,
        on_time=on_time(batch.report_date, batch.acknowledged_at),
        attempts=batch.attempts,
        next_attempt_at=None if batch.status == BatchStatus.ACKNOWLEDGED else batch.next_attempt_at,
        last_error=batch.last_error,
        receipt_id=batch.receipt_id,
        sent_at=batch.sent_at,
        acknowledged_at=batch.acknowledged_at,
    )


def _visible_provider(principal: Principal, provider_id: str | None) -> str | None:
    """Ops see every provider; a provider admin only their own (another's is not found)."""
    require_role(principal, Role.OPS, Role.PROVIDER_ADMIN)
    if principal.role is Role.PROVIDER_ADMIN:
        if provider_id not in (None, principal.provider_id):
            raise NotFound("provider")
        return principal.provider_id
    return provider_id


async def list_reports(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    provider_id: str | None,
    first: date | None,
    last: date | None,
) -> list[ReportSummary]:
    """Delivery state per provider and day (ops: all; provider admin: their own)."""
    async with uow:
        provider = _visible_provider(ctx.principal, provider_id)
        rows = await uow.repo(BatchRepository).listed(provider, first, last)
        return [summary(row, ctx) for row in rows]


async def rerun(*, uow: UnitOfWork, ctx: RequestContext, cmd: ReportRerun) -> RerunRead:
    """Send a provider's days again now: missing days are created, unacknowledged ones retried at
    once; acknowledged days stay (a change to one goes as a correction)."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        if cmd.last < cmd.first or (cmd.last - cmd.first).days >= MAX_RANGE_DAYS:
            raise Unprocessable([("last", "a range of 1 to 366 days, last not before first")])
        if cmd.last >= ctx.today:
            raise Unprocessable([("last", "only days before today can be reported")])
        batches = uow.repo(BatchRepository)
        scheduled = []
        for n in range((cmd.last - cmd.first).days + 1):
            day = cmd.first + timedelta(days=n)
            batch = await batches.original(cmd.provider_id, day)
            if batch is None:
                batch = new_batch(
                    provider_id=cmd.provider_id,
                    day=day,
                    kind=BatchKind.ORIGINAL,
                    now=ctx.now,
                    batch_id=original_batch_id(cmd.provider_id, day),
                )
                batches.add(batch)
            elif batch.status != BatchStatus.ACKNOWLEDGED:
                batch.next_attempt_at = ctx.now
                batch.updated_at = ctx.now
            else:
                continue
            scheduled.append(batch)
        answer = RerunRead(scheduled=[summary(b, ctx) for b in scheduled])
        await uow.commit()
        return answer


async def correct(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str, day: date
) -> ReportSummary:
    """A correction batch for a day already sent: the day re-assembled, referencing the original."""
    async with uow:
        _visible_provider(ctx.principal, provider_id)
        batches = uow.repo(BatchRepository)
        original = await batches.original(provider_id, day)
        if original is None:
            raise NotFound("report")
        if original.status not in (BatchStatus.ACKNOWLEDGED, BatchStatus.SENT):
            raise Conflict(
                "the day has not been sent yet; it goes out with the corrected data anyway",
                extra={"status": original.status},
            )
        batch = new_batch(
            provider_id=provider_id,
            day=day,
            kind=BatchKind.CORRECTION,
            now=ctx.now,
            batch_id=correction_batch_id(),
            corrects=original.batch_id,
        )
        batches.add(batch)
        answer = summary(batch, ctx)
        await uow.commit()
        return answer


async def put_profile(
    *, uow: UnitOfWork, ctx: RequestContext, provider_id: str, cmd: ProviderProfileUpdate
) -> ProviderProfileRead:
    """The provider's name and medical partner as 运营分析 reports them (ops)."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        providers = uow.repo(ProviderRepository)
        row = await providers.profile(provider_id)
        if row is None:
            row = ProviderProfileRow(provider_id=provider_id, name=cmd.name, updated_at=ctx.now)
            providers.add(row)
        row.name = cmd.name
        row.medical_partner = cmd.medical_partner
        row.updated_at = ctx.now
        await uow.commit()
        return ProviderProfileRead(
            provider_id=provider_id, name=row.name, medical_partner=row.medical_partner
        )
