"""A settlement's way through maker-checker: submit (pending ledger transfer), approve (posted)
or reject (voided, back to draft), the payment file, the payment confirmation (paid), and the
clawback of a line (a reversing transfer; further payments of the bed suspended)."""

from __future__ import annotations

import csv
import io

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from chassis.principal import Role
from homebed_schemas.events.subsidy import SettlementReversed
from subsidy.domain.ledger import (
    Entry,
    TransferSpec,
    clawback_receivable,
    funder_account,
    provider_payable,
    treasury,
)
from subsidy.domain.money import yuan
from subsidy.domain.settlement import (
    SettlementAction,
    SettlementStatus,
    next_status,
    parse_funding,
    per_level,
    require_checker,
)
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.ledger import LedgerRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.batches import BatchPayment, PaymentBatch
from subsidy.schemas.settlements import (
    ClawbackRead,
    LineClawback,
    PaymentConfirmation,
    SettlementRead,
    SettlementRejection,
)
from subsidy.service import settlement_batch
from subsidy.service.access import require_officer_of
from subsidy.service.events import emit_reversed
from subsidy.service.ledger import record_transfer
from subsidy.service.reads import settlement_read, visible_settlement


async def submit_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str
) -> SettlementRead:
    """The maker submits: the lines are reserved in the ledger as one pending transfer;
    settlement.submitted tells the region's officers there is one to check."""
    submitted = await settlement_batch.submit_settlements(uow=uow, ctx=ctx, ids=[settlement_id])
    return submitted.settlements[0]


async def approve_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str
) -> SettlementRead:
    """The checker (an officer of the region, not the submitter) approves: the pending
    transfer is posted, the re-opened months it adjusted are closed; settlement.approved."""
    approved = await settlement_batch.approve_settlements(uow=uow, ctx=ctx, ids=[settlement_id])
    return approved.settlements[0]


async def reject_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str, cmd: SettlementRejection
) -> SettlementRead:
    """The checker sends it back to draft with the reason: the pending transfer is voided."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        require_officer_of(ctx.principal, row.jurisdiction)
        status = next_status(SettlementStatus(row.status), SettlementAction.REJECT)
        require_checker(submitted_by=row.submitted_by, approver=ctx.principal.sub)
        if row.pending_transfer_id is not None:
            await record_transfer(
                uow.repo(LedgerRepository),
                TransferSpec(
                    id=f"{row.pending_transfer_id}:void",
                    kind="settlement",
                    reference=row.id,
                    memo=f"rejected by {ctx.principal.sub}: {cmd.reason}"[:500],
                    flag="void",
                    pending_id=row.pending_transfer_id,
                ),
                now=ctx.now,
            )
        await settlements.mark(
            row,
            status=status.value,
            rejected_by=ctx.principal.sub,
            rejected_reason=cmd.reason,
            pending_transfer_id=None,
        )
        await uow.commit()
        return settlement_read(row)


async def payment_file(*, uow: UnitOfWork, ctx: RequestContext, settlement_id: str) -> str:
    """The bank file of an approved settlement: provider, account, amount (yuan, 2 decimals),
    reference — one row per funding level that pays."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id)
        require_officer_of(ctx.principal, row.jurisdiction)
        if row.status not in (SettlementStatus.APPROVED, SettlementStatus.PAID):
            raise Conflict(f"a {row.status} settlement has no payment file yet")
        levels = per_level(await settlements.line_amounts(row.id))
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["provider", "account", "amount", "reference", "payer"])
        for level, amount in sorted(levels.items()):
            writer.writerow(
                [
                    row.provider_id,
                    provider_payable(row.provider_id),
                    yuan(amount),
                    f"{row.id}:s{row.submission_no}",
                    treasury(level, row.jurisdiction),
                ]
            )
    return out.getvalue()


async def confirm_payment(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str, cmd: PaymentConfirmation
) -> SettlementRead:
    """The bank paid: provider payable against the funders' treasury; settlement.paid."""
    batch = PaymentBatch.model_construct(
        payments=[
            BatchPayment.model_construct(
                settlement_id=settlement_id,
                payment_reference=cmd.payment_reference,
                amount_fen=cmd.amount_fen,
            )
        ]
    )
    paid = await settlement_batch.confirm_payments(uow=uow, ctx=ctx, cmd=batch)
    return paid.settlements[0]


async def claw_back_line(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    settlement_id: str,
    line_id: str,
    cmd: LineClawback,
) -> ClawbackRead:
    """Recover an approved or paid line (001 §五(四), 002 §七(三)4) with a reversing transfer:
    the funders are credited, the provider owes it (payable if unpaid, receivable if paid)."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        require_role(ctx.principal, Role.OFFICER)
        require_officer_of(ctx.principal, row.jurisdiction)
        line = await settlements.line(line_id)
        if line is None or line.settlement_id != row.id:
            raise NotFound("settlement line")
        if row.status not in (SettlementStatus.APPROVED, SettlementStatus.PAID):
            raise Conflict(
                f"only approved or paid lines are clawed back (this one is {row.status})"
            )
        if line.amount_fen <= 0:
            raise Conflict("a negative adjustment line is not clawed back")
        owed_by = (
            clawback_receivable(row.provider_id)
            if row.status == SettlementStatus.PAID
            else provider_payable(row.provider_id)
        )
        entries = [Entry(owed_by, line.amount_fen, line.id)]
        entries += [
            Entry(funder_account(leg.level, row.jurisdiction), -leg.amount_fen, line.id)
            for leg in parse_funding(line.funding)
            if leg.amount_fen
        ]
        transfer_id = f"clawback:{line.id}"
        original = f"{row.pending_transfer_id}" if row.pending_transfer_id else row.id
        _, created = await record_transfer(
            uow.repo(LedgerRepository),
            TransferSpec(
                id=transfer_id,
                kind="clawback",
                reference=row.id,
                memo=cmd.reason,
                entries=tuple(entries),
                references_id=original,
            ),
            now=ctx.now,
        )
        if not created:
            raise Conflict("this line was already clawed back", extra={"transfer_id": transfer_id})
        if cmd.suspend_further_payments:
            await uow.repo(FactsRepository).set_bed_fields(
                line.bed_id, {"payments_suspended": True}
            )
        await emit_reversed(
            uow,
            SettlementReversed(
                settlement_id=row.id,
                provider_id=row.provider_id,
                jurisdiction=row.jurisdiction,
                period=row.period,
                line_id=line.id,
                bed_id=line.bed_id,
                elder_id=line.elder_id,
                kind=line.kind,
                amount_fen=line.amount_fen,
                reason=cmd.reason,
                ledger_transfer_id=transfer_id,
                references_transfer_id=original,
                further_payments_suspended=cmd.suspend_further_payments,
                occurred_at=ctx.now,
            ),
        )
        await uow.commit()
        return ClawbackRead(
            line_id=line.id,
            amount_fen=line.amount_fen,
            transfer_id=transfer_id,
            further_payments_suspended=cmd.suspend_further_payments,
        )
