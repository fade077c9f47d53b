"""A settlement's way through maker-checker: submit (pending ledger transfer), approve (posted)
or reject (voided, back to draft), the payment file, the payment confirmation (paid), and the
clawback of a line (a reversing transfer; further payments of the bed suspended)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, Unprocessable
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
from subsidy.domain.periods import Period
from subsidy.domain.settlement import (
    SettlementAction,
    SettlementStatus,
    next_status,
    parse_funding,
    per_level,
    posting_entries,
    require_checker,
)
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.ledger import LedgerRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import (
    ClawbackRead,
    LineClawback,
    PaymentConfirmation,
    SettlementRead,
    SettlementRejection,
)
from subsidy.service.access import require_officer_of
from subsidy.service.events import emit_reversed, emit_settlement
from subsidy.service.ledger import record_transfer
from subsidy.service.reads import settlement_read, visible_settlement


async def submit_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str
) -> SettlementRead:
    """The maker submits: the lines are reserved in the ledger as one pending transfer;
    settlement.submitted tells the region's officers there is one to check."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        status = next_status(SettlementStatus(row.status), SettlementAction.SUBMIT)
        if row.run_no == 0:
            raise Conflict("run the settlement before submitting it")
        period = Period.parse(row.period)
        if ctx.today <= period.last_day:
            # a month is settled on what it delivered: a draft may be run as it goes, but the
            # claim goes to the checker once the month is over (interpretation, svc-subsidy README)
            raise Conflict(
                f"{row.period} is not over: submit from {period.shifted(1).first_day} "
                "(Asia/Shanghai)"
            )
        submission = row.submission_no + 1
        pending_id = None
        entries = posting_entries(
            row.provider_id, row.jurisdiction, await settlements.line_amounts(row.id)
        )
        if entries:
            pending_id = f"{row.id}:s{submission}"
            await record_transfer(
                uow.repo(LedgerRepository),
                TransferSpec(
                    id=pending_id,
                    kind="settlement",
                    reference=row.id,
                    memo=f"{row.period} {row.jurisdiction} {row.provider_id} run {row.run_no}",
                    flag="pending",
                    entries=entries,
                ),
                now=ctx.now,
            )
        await settlements.mark(
            row,
            status=status.value,
            submission_no=submission,
            submitted_by=ctx.principal.sub,
            submitted_at=ctx.now,
            pending_transfer_id=pending_id,
            rejected_by=None,
            rejected_reason=None,
        )
        totals = await settlements.kind_totals(row.id)  # the checker's queue: who, how much
        await emit_settlement(uow, row, "submitted", totals, now=ctx.now, transfer_id=pending_id)
        await uow.commit()
        return settlement_read(row)


async def approve_settlement(
    *, uow: UnitOfWork, ctx: RequestContext, settlement_id: str
) -> SettlementRead:
    """The checker (an officer of the region, not the submitter) approves: the pending
    transfer is posted, the re-opened months it adjusted are closed; settlement.approved."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        require_officer_of(ctx.principal, row.jurisdiction)
        status = next_status(SettlementStatus(row.status), SettlementAction.APPROVE)
        require_checker(submitted_by=row.submitted_by, approver=ctx.principal.sub)
        transfer_id = None
        if row.pending_transfer_id is not None:
            transfer_id = f"{row.pending_transfer_id}:post"
            await record_transfer(
                uow.repo(LedgerRepository),
                TransferSpec(
                    id=transfer_id,
                    kind="settlement",
                    reference=row.id,
                    memo=f"approved by {ctx.principal.sub}",
                    flag="post",
                    pending_id=row.pending_transfer_id,
                ),
                now=ctx.now,
            )
        await uow.repo(FactsRepository).consume_reopened(
            row.provider_id, row.jurisdiction, Period.parse(row.period), row.id, row.ran_at
        )
        await settlements.mark(
            row, status=status.value, approved_by=ctx.principal.sub, approved_at=ctx.now
        )
        totals = await settlements.kind_totals(row.id)
        await emit_settlement(uow, row, "approved", totals, now=ctx.now, transfer_id=transfer_id)
        await uow.commit()
        return settlement_read(row)


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
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        require_officer_of(ctx.principal, row.jurisdiction)
        status = next_status(SettlementStatus(row.status), SettlementAction.CONFIRM_PAYMENT)
        if cmd.amount_fen != row.total_fen:
            raise Unprocessable([("amount_fen", f"the settlement's total is {row.total_fen} fen")])
        amounts = await settlements.line_amounts(row.id)  # read once: levels and kinds
        levels = per_level(amounts)
        totals: dict[str, int] = defaultdict(int)
        for line in amounts:
            totals[line.kind] += line.amount_fen
        transfer_id = f"{row.id}:paid"
        entries = [Entry(provider_payable(row.provider_id), row.total_fen)]
        entries += [
            Entry(treasury(level, row.jurisdiction), -amount)
            for level, amount in sorted(levels.items())
            if amount
        ]
        if row.total_fen:
            await record_transfer(
                uow.repo(LedgerRepository),
                TransferSpec(
                    id=transfer_id,
                    kind="payment",
                    reference=row.id,
                    memo=f"payment {cmd.payment_reference}",
                    entries=tuple(entries),
                ),
                now=ctx.now,
            )
        await settlements.mark(
            row, status=status.value, paid_at=ctx.now, payment_reference=cmd.payment_reference
        )
        await emit_settlement(uow, row, "paid", totals, now=ctx.now, transfer_id=transfer_id)
        await uow.commit()
        return settlement_read(row)


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
