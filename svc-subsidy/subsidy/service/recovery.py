"""After a clawback (001 §五(四), 002 §七(三)4): the provider paying back what it owes, and an
officer lifting the suspension of a bed's further payments."""

from __future__ import annotations

import json

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound, Unprocessable
from chassis.principal import Role
from subsidy.domain.ledger import Entry, TransferSpec, clawback_receivable, treasury
from subsidy.domain.settlement import funding_legs
from subsidy.repositories.facts import FactsRepository
from subsidy.repositories.ledger import LedgerRepository
from subsidy.repositories.settlements import SettlementRepository
from subsidy.schemas.settlements import (
    ClawbackRecovery,
    RecoveryRead,
    SuspensionLiftedRead,
    SuspensionLifting,
)
from subsidy.service.access import require_officer_of
from subsidy.service.ledger import record_transfer
from subsidy.service.reads import visible_settlement


async def recover_clawback(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    settlement_id: str,
    line_id: str,
    cmd: ClawbackRecovery,
) -> RecoveryRead:
    """The provider paid back a clawed-back line of a paid settlement (退赔补贴): a new transfer
    debits each funding level's treasury (the money is back) and credits the provider's
    clawback receivable. Once per line; the clawback transfer itself is never edited."""
    async with uow:
        settlements = uow.repo(SettlementRepository)
        row = await visible_settlement(settlements, ctx, settlement_id, lock=True)
        require_officer_of(ctx.principal, row.jurisdiction)
        line = await settlements.line(line_id)
        if line is None or line.settlement_id != row.id:
            raise NotFound("settlement line")
        ledger = uow.repo(LedgerRepository)
        clawback_id = f"clawback:{line.id}"
        clawback = await ledger.get(clawback_id)
        if clawback is None:
            raise Conflict("this line was not clawed back: nothing to recover")
        receivable = clawback_receivable(row.provider_id)
        if not any(e.account_id == receivable for e in clawback.entries):
            raise Conflict(
                "the clawback was deducted from the unpaid payable: nothing to recover",
                extra={"transfer_id": clawback_id},
            )
        if cmd.amount_fen != line.amount_fen:
            raise Unprocessable(
                [("amount_fen", f"the clawed-back amount is {line.amount_fen} fen")]
            )
        entries = [
            Entry(treasury(level, row.jurisdiction), amount, line.id)
            for level, amount in funding_legs(line.funding)
            if amount
        ]
        entries.append(Entry(receivable, -line.amount_fen, line.id))
        transfer_id = f"recovery:{line.id}"
        _, created = await record_transfer(
            ledger,
            TransferSpec(
                id=transfer_id,
                kind="recovery",
                reference=row.id,
                memo=f"recovery {cmd.payment_reference}",
                entries=tuple(entries),
                references_id=clawback_id,
            ),
            now=ctx.now,
        )
        if not created:
            raise Conflict("this line was already recovered", extra={"transfer_id": transfer_id})
        await uow.commit()
        return RecoveryRead(
            line_id=line.id,
            amount_fen=line.amount_fen,
            transfer_id=transfer_id,
            references_transfer_id=clawback_id,
            payment_reference=cmd.payment_reference,
        )


async def lift_suspension(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, cmd: SuspensionLifting
) -> SuspensionLiftedRead:
    """An officer of the bed's region lifts the suspension a clawback put on its further
    payments: the next runs settle the bed again. Recorded in the bed's fact history (who,
    when, why) next to the facts the runs read."""
    require_role(ctx.principal, Role.OFFICER)
    async with uow:
        facts = uow.repo(FactsRepository)
        bed = await facts.bed(bed_id)
        if bed is None or not ctx.principal.in_region(bed.jurisdiction):
            raise NotFound("bed")  # another region's bed: as if it did not exist
        if not bed.payments_suspended:
            raise Conflict("the bed's payments are not suspended")
        await facts.set_bed_fields(bed_id, {"payments_suspended": False})
        await facts.record_history(
            bed_id=bed_id,
            event_id=f"lift:{bed_id}:{ctx.now.isoformat()}"[:64],
            event_type="payments.suspension_lifted",
            effective_on=None,
            occurred_at=ctx.now,
            recorded_at=ctx.now,
            data=json.dumps(
                {"lifted_by": ctx.principal.sub, "reason": cmd.reason}, ensure_ascii=False
            ),
        )
        await uow.commit()
        return SuspensionLiftedRead(
            bed_id=bed_id,
            payments_suspended=False,
            lifted_by=ctx.principal.sub,
            lifted_at=ctx.now,
            reason=cmd.reason,
        )
