"""A county's settlements a step at a time: run the month for every provider of a
jurisdiction, submit, approve, confirm the payments of a set of settlements — each step one
transaction whose writes are one statement per table for the whole set.

Every settlement keeps its own rules: the per-provider routes call these with a set of one.
A set is all or nothing: the first settlement a step may not take (not visible, wrong state,
the approver its submitter, another region, a total that differs) refuses the whole set,
naming that settlement; nothing is written. Each settlement keeps its own pending transfer
(one per settlement, written together) and its own outbox events.
"""

from __future__ import annotations

from collections.abc import Sequence

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, DomainError, NotFound, Unprocessable
from subsidy.domain.ledger import Entry, TransferSpec, provider_payable, treasury
from subsidy.domain.periods import Period
from subsidy.domain.policy import SubsidyProfile
from subsidy.domain.settlement import (
    NO_LINES,
    SettlementAction,
    SettlementStatus,
    entries_of,
    next_status,
    require_checker,
)
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.ledger import LedgerRepository
from subsidy.repositories.marks import MarksRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.batches import CountyRun, PaymentBatch, SettlementBatchRead
from subsidy.service.access import require_officer_of, require_visible
from subsidy.service.bulk import without_gc_pauses
from subsidy.service.events import emit_settlements, settlement_event
from subsidy.service.ledger import record_transfers
from subsidy.service.reads import settlement_read
from subsidy.service.settlement_run import run_providers
from subsidy.tables import SettlementRow


def _named(error: DomainError, row: SettlementRow, many: bool) -> DomainError:
    """In a set of several, an error says which settlement it is about."""
    if many:
        error.detail = f"settlement {row.id}: {error.detail}"
    return error


async def _locked(
    settlements: SettlementRepository, ctx: RequestContext, ids: Sequence[str]
) -> list[SettlementRow]:
    """The settlements of `ids`, locked in id order, each visible to the caller (404 else)."""
    rows = await settlements.get_many(ids, lock=True)
    found = {row.id for row in rows}
    for wanted in ids:
        if wanted not in found:
            raise NotFound("settlement" if len(ids) == 1 else f"settlement {wanted}")
    for row in rows:
        require_visible(ctx.principal, row.provider_id, row.jurisdiction)
    order = {wanted: n for n, wanted in enumerate(ids)}
    return sorted(rows, key=lambda row: order[row.id])


async def run_county(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: CountyRun, profile: SubsidyProfile
) -> SettlementBatchRead:
    """An officer runs the month for every provider with beds in the jurisdiction (or those
    named): drafts are (re)computed, settlements past draft are left as they are and listed."""
    require_officer_of(ctx.principal, cmd.jurisdiction)
    period = Period.parse(cmd.period)
    async with uow:
        with without_gc_pauses():
            providers = cmd.provider_ids or await uow.repo(FactsRepository).providers_in(
                cmd.jurisdiction
            )
            runs = await run_providers(uow, ctx, profile, period, providers)
            await uow.commit()
            return runs


async def submit_settlements(
    *, uow: UnitOfWork, ctx: RequestContext, ids: Sequence[str]
) -> SettlementBatchRead:
    """The maker submits: each settlement's lines reserved in the ledger as its own pending
    transfer (all written together); settlement.submitted tells the region's officers."""
    many = len(ids) > 1
    async with uow:
        with without_gc_pauses():
            settlements = uow.repo(SettlementRepository)
            rows = await _locked(settlements, ctx, ids)
            for row in rows:
                try:
                    next_status(SettlementStatus(row.status), SettlementAction.SUBMIT)
                    if row.run_no == 0:
                        raise Conflict("run the settlement before submitting it")
                    period = Period.parse(row.period)
                    if ctx.today <= period.last_day:
                        # a month is settled on what it delivered: a draft may be run as it goes,
                        # but the claim goes to the checker once the month is over (interpretation,
                        # svc-subsidy README)
                        raise Conflict(
                            f"{row.period} is not over: submit from "
                            f"{period.shifted(1).first_day} (Asia/Shanghai)"
                        )
                except DomainError as error:
                    raise _named(error, row, many) from None
            stale = await settlements.unclaimed_adjustments(ids)
            for row in rows:
                if row.id in stale:
                    bed, month, kind = stale[row.id][0]
                    stale_error = Conflict(
                        f"its {kind} adjustment of {month} for {bed} is carried by another "
                        "settlement now: run it again before submitting it"
                    )
                    raise _named(stale_error, row, many)
            sums = await settlements.posting_sums_of(ids)
            pending: dict[str, str | None] = {}
            specs = []
            for row in rows:
                entries = entries_of(row.provider_id, row.jurisdiction, sums.get(row.id, NO_LINES))
                pending[row.id] = None
                if entries:
                    pending[row.id] = f"{row.id}:s{row.submission_no + 1}"
                    specs.append(
                        TransferSpec(
                            id=pending[row.id] or "",
                            kind="settlement",
                            reference=row.id,
                            memo=f"{row.period} {row.jurisdiction} {row.provider_id} run {row.run_no}",
                            flag="pending",
                            entries=entries,
                        )
                    )
            await record_transfers(uow.repo(LedgerRepository), specs, now=ctx.now)
            await settlements.mark_many(
                rows,
                [
                    {
                        "status": SettlementStatus.SUBMITTED.value,
                        "submission_no": row.submission_no + 1,
                        "submitted_by": ctx.principal.sub,
                        "submitted_at": ctx.now,
                        "pending_transfer_id": pending[row.id],
                        "rejected_by": None,
                        "rejected_reason": None,
                    }
                    for row in rows
                ],
            )
            totals = await settlements.kind_totals_of(ids)  # the checker's queue: who, how much
            await emit_settlements(
                uow,
                [
                    settlement_event(
                        row,
                        "submitted",
                        totals.get(row.id, {}),
                        now=ctx.now,
                        transfer_id=pending[row.id],
                    )
                    for row in rows
                ],
            )
            await uow.commit()
            return SettlementBatchRead(settlements=[settlement_read(row) for row in rows])


async def approve_settlements(
    *, uow: UnitOfWork, ctx: RequestContext, ids: Sequence[str]
) -> SettlementBatchRead:
    """The checker (an officer of each settlement's region, never its submitter) approves:
    each pending transfer is posted, the re-opened months they adjusted are closed;
    settlement.approved for each."""
    many = len(ids) > 1
    async with uow:
        with without_gc_pauses():
            settlements = uow.repo(SettlementRepository)
            rows = await _locked(settlements, ctx, ids)
            for row in rows:
                try:
                    require_officer_of(ctx.principal, row.jurisdiction)
                    next_status(SettlementStatus(row.status), SettlementAction.APPROVE)
                    require_checker(submitted_by=row.submitted_by, approver=ctx.principal.sub)
                except DomainError as error:
                    raise _named(error, row, many) from None
            posts = {
                row.id: f"{row.pending_transfer_id}:post"
                for row in rows
                if row.pending_transfer_id is not None
            }
            await record_transfers(
                uow.repo(LedgerRepository),
                [
                    TransferSpec(
                        id=posts[row.id],
                        kind="settlement",
                        reference=row.id,
                        memo=f"approved by {ctx.principal.sub}",
                        flag="post",
                        pending_id=row.pending_transfer_id,
                    )
                    for row in rows
                    if row.id in posts
                ],
                now=ctx.now,
            )
            # the re-opened marks each last run accounted for, at the revision it read
            await uow.repo(MarksRepository).close_read_by([row.id for row in rows])
            await settlements.mark_many(
                rows,
                [
                    {
                        "status": SettlementStatus.APPROVED.value,
                        "approved_by": ctx.principal.sub,
                        "approved_at": ctx.now,
                    }
                    for _ in rows
                ],
            )
            totals = await settlements.kind_totals_of(ids)
            await emit_settlements(
                uow,
                [
                    settlement_event(
                        row,
                        "approved",
                        totals.get(row.id, {}),
                        now=ctx.now,
                        transfer_id=posts.get(row.id),
                    )
                    for row in rows
                ],
            )
            await uow.commit()
            return SettlementBatchRead(settlements=[settlement_read(row) for row in rows])


async def confirm_payments(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: PaymentBatch
) -> SettlementBatchRead:
    """The bank paid: for each settlement, its provider's payable against the treasuries of the
    levels its pending transfer reserved (one payment transfer each); settlement.paid."""
    ids = [payment.settlement_id for payment in cmd.payments]
    many = len(ids) > 1
    async with uow:
        with without_gc_pauses():
            settlements = uow.repo(SettlementRepository)
            ledger = uow.repo(LedgerRepository)
            rows = await _locked(settlements, ctx, ids)
            payments = {payment.settlement_id: payment for payment in cmd.payments}
            for row in rows:
                try:
                    require_officer_of(ctx.principal, row.jurisdiction)
                    next_status(SettlementStatus(row.status), SettlementAction.CONFIRM_PAYMENT)
                except DomainError as error:
                    raise _named(error, row, many) from None
                if payments[row.id].amount_fen != row.total_fen:
                    field = f"payments[{ids.index(row.id)}].amount_fen" if many else "amount_fen"
                    raise Unprocessable([(field, f"the settlement's total is {row.total_fen} fen")])
            levels = await ledger.funder_debits_of(
                [row.pending_transfer_id for row in rows if row.pending_transfer_id]
            )
            specs = []
            for row in rows:
                if not row.total_fen:
                    continue
                reserved = levels.get(row.pending_transfer_id or "", {})
                entries = [Entry(provider_payable(row.provider_id), row.total_fen)]
                entries += [
                    Entry(treasury(level, row.jurisdiction), -amount)
                    for level, amount in sorted(reserved.items())
                    if amount
                ]
                specs.append(
                    TransferSpec(
                        id=f"{row.id}:paid",
                        kind="payment",
                        reference=row.id,
                        memo=f"payment {payments[row.id].payment_reference}",
                        entries=tuple(entries),
                    )
                )
            await record_transfers(ledger, specs, now=ctx.now)
            await settlements.mark_many(
                rows,
                [
                    {
                        "status": SettlementStatus.PAID.value,
                        "paid_at": ctx.now,
                        "payment_reference": payments[row.id].payment_reference,
                    }
                    for row in rows
                ],
            )
            totals = await settlements.kind_totals_of(ids)
            await emit_settlements(
                uow,
                [
                    settlement_event(
                        row,
                        "paid",
                        totals.get(row.id, {}),
                        now=ctx.now,
                        transfer_id=f"{row.id}:paid",
                    )
                    for row in rows
                ],
            )
            await uow.commit()
            return SettlementBatchRead(settlements=[settlement_read(row) for row in rows])
