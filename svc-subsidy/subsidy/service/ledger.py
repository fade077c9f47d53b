"""Ledger use: record a transfer idempotently, resolve a pending one, read balances."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.errors import Conflict, NotFound
from chassis.principal import Role
from subsidy.domain.ledger import TransferSpec, trial_balance
from subsidy.repositories.ledger import LedgerRepository
from subsidy.schemas.ledger import AccountBalance, TrialBalanceRead


async def record_transfer(
    ledger: LedgerRepository, spec: TransferSpec, *, now: datetime
) -> tuple[TransferSpec, bool]:
    """The transfer as stored and whether this call created it; a replay returns the original,
    the same id with other fields is a Conflict, a second post/void of one pending too."""
    spec.validate()
    if spec.pending_id is not None:
        flag = await ledger.flag_of(spec.pending_id)  # not its entries: only whether pending
        if flag is None:
            raise NotFound(f"pending transfer {spec.pending_id}")
        if flag != "pending":
            raise Conflict(f"transfer {spec.pending_id} is not pending")
    if await ledger.insert_transfer(spec, now):
        return spec, True
    existing = await ledger.get(spec.id)
    if existing is None:  # the id is free: the pending one was resolved by another transfer
        resolution = await ledger.resolution_of(spec.pending_id or "")
        raise Conflict(
            f"pending transfer {spec.pending_id} is already {resolution or 'resolved'}",
            extra={"pending_id": spec.pending_id},
        )
    if existing.fingerprint() != spec.fingerprint():
        raise Conflict(
            f"transfer id {spec.id} was already used with other fields",
            extra={"transfer_id": spec.id},
        )
    return existing, False


async def record_transfers(
    ledger: LedgerRepository, specs: Sequence[TransferSpec], *, now: datetime
) -> list[tuple[TransferSpec, bool]]:
    """`record_transfer` for a set (a county's settlements): validated one by one, written by
    one statement per table; a transfer whose id was taken gets `record_transfer`'s answer
    (the original on a replay, a Conflict otherwise)."""
    for spec in specs:
        spec.validate()
    pending = [spec.pending_id for spec in specs if spec.pending_id is not None]
    if pending:
        flags = await ledger.flags_of(pending)
        for pending_id in pending:
            flag = flags.get(pending_id)
            if flag is None:
                raise NotFound(f"pending transfer {pending_id}")
            if flag != "pending":
                raise Conflict(f"transfer {pending_id} is not pending")
    created = await ledger.insert_transfers(specs, now)
    return [
        (spec, True) if spec.id in created else await record_transfer(ledger, spec, now=now)
        for spec in specs
    ]


async def read_trial_balance(*, uow: UnitOfWork, ctx: RequestContext) -> TrialBalanceRead:
    """Debit against credit balances over every account (posted transfers only)."""
    require_role(ctx.principal, Role.OFFICER, Role.OPS)
    async with uow:
        ledger = uow.repo(LedgerRepository)
        balance = trial_balance(await ledger.posted_balances())
        pending = dict(await ledger.pending_balances())
    return TrialBalanceRead(
        debits_fen=balance.debits_fen,
        credits_fen=balance.credits_fen,
        balanced=balance.balanced,
        accounts=[
            AccountBalance(account_id=a, posted_fen=b, pending_fen=pending.get(a, 0))
            for a, b in sorted(balance.per_account.items())
        ],
    )
