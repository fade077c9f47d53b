"""Contracts of a running bed: the follow-on contract (续签, or the first contract of a provider
that took the bed over), the expiry notice N days before the last day (once per contract) and the
end of a bed whose contract ended unrenewed (terminated, reason contract_expired, the platform
update due N working days after the contract's last day, 001 §四(六))."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm.exc import StaleDataError

from chassis.access import require_role
from chassis.clock import Clock, shanghai_date
from chassis.db import UnitOfWork, UnitOfWorkFactory
from chassis.errors import PreconditionFailed
from chassis.principal import Role
from intake.bed_change_repository import BedChangeRepository
from intake.domain.bed import expire
from intake.domain.contract import ContractTerms, PersonalItem, check_contract
from intake.domain.contract_term import (
    SignedTerm,
    expiry_notice_due,
    follow_on_problems,
    has_expired,
)
from intake.domain.errors import ContractViolation
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.domain.provider import ProviderStatus, fee_problem
from intake.policies.loader import load_all_profiles, load_profile
from intake.repository import ProviderRepository, SqlRepository
from intake.schemas.bed_changes import RenewalIn
from intake.schemas.beds import BedRead
from intake.service.bed_endings import EXPIRY_SWEEP, end_bed
from intake.service.beds import bed_answer, visible_bed
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event
from intake.service.providers import filed_packages
from intake.tables import BedRow, ContractRow

logger = logging.getLogger(__name__)

RUNNING = (BedStatus.ESTABLISHED.value, BedStatus.ACCEPTED.value, BedStatus.SUSPENDED.value)


async def renew_contract(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: RenewalIn
) -> BedRead:
    """Sign a follow-on contract: a new term without a gap, at a package price the provider
    filed (001 §四(三)4, 002 §六(三)); publishes bed.contract_renewed."""
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await visible_bed(repo, ctx, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        check_bed_action(BedStatus(bed.status), BedAction.RENEW_CONTRACT)
        current = await repo.latest_contract(bed.id)
        terms = ContractTerms(
            start=cmd.start,
            end=cmd.end,
            base_package_fee_fen=cmd.base_package_fee_fen,
            personal_items=tuple(
                PersonalItem(i.name, i.monthly_fee_fen) for i in cmd.personal_items
            ),
            bed_fee_fen=cmd.bed_fee_fen,
        )
        check_contract(terms, load_profile(bed.jurisdiction), is_first=current is None)
        changes = await uow.repo(BedChangeRepository).provider_changes_of(bed.id)
        gaps = follow_on_problems(
            _signed(current),
            provider_id=bed.provider_id,
            provider_since=changes[0].changed_on if changes else None,
            start=cmd.start,
        )
        if gaps:
            raise ContractViolation(gaps)
        await _check_filed_price(uow, bed, cmd)
        contract = ContractRow(
            id=str(uuid.uuid4()),
            bed_id=bed.id,
            elder_id=bed.elder_id,
            provider_id=bed.provider_id,
            start=cmd.start,
            end=cmd.end,
            base_package_fee_fen=cmd.base_package_fee_fen,
            personal_items=[i.model_dump() for i in cmd.personal_items],
            is_first=False,
            signed_on=ctx.today,
            signed_by=ctx.principal.sub,
            created_at=ctx.now,
        )
        repo.add(contract)
        bed.updated_at = ctx.now
        await emit_bed_event(uow, bed, contract, "contract_renewed", now=ctx.now)
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


@dataclass(frozen=True)
class SweepResult:
    noticed: int
    ended: int


async def sweep_contracts(*, uow_factory: UnitOfWorkFactory, clock: Clock) -> SweepResult:
    """Raise each expiry notice once and end the beds whose contract ended unrenewed. Each bed
    in its own transaction: a bed changed meanwhile (optimistic lock) waits for the next run."""
    now = clock()
    today = shanghai_date(now)
    longest = max(p.bed_changes.renewal.notice_days for p in load_all_profiles().values())
    async with uow_factory() as uow:
        due = await uow.repo(BedChangeRepository).contracts_due(
            RUNNING, ending_by=today + timedelta(days=longest)
        )
    noticed = ended = 0
    for bed_id, contract_id in due:
        try:
            outcome = await _sweep_one(uow_factory(), bed_id, contract_id, now=now)
        except StaleDataError:
            logger.info("bed changed during the contract sweep", extra={"bed_id": bed_id})
            continue
        noticed += outcome == "noticed"
        ended += outcome == "ended"
    return SweepResult(noticed=noticed, ended=ended)


async def _sweep_one(uow: UnitOfWork, bed_id: str, contract_id: str, *, now: datetime) -> str:
    """ "noticed", "ended" or "" for one bed, re-read in this transaction."""
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await repo.bed(bed_id)
        contract = await repo.latest_contract(bed_id)
        if bed is None or contract is None or contract.id != contract_id:
            return ""  # renewed or gone since the candidates were read
        if bed.status not in RUNNING:
            return ""
        today = shanghai_date(now)
        profile = load_profile(bed.jurisdiction)
        if has_expired(end=contract.end, today=today):
            status = BedStatus(bed.status)
            ended = expire(status, profile=profile, contract_end=contract.end, recorded_on=today)
            await end_bed(uow, bed, ended, now=now, by=EXPIRY_SWEEP, note=None, name="terminated")
            await uow.commit()
            return "ended"
        notice_days = profile.bed_changes.renewal.notice_days
        if not expiry_notice_due(end=contract.end, today=today, notice_days=notice_days):
            return ""
        if not await uow.repo(BedChangeRepository).claim_expiry_notice(contract.id, today):
            return ""
        await emit_bed_event(uow, bed, contract, "contract_expiring", now=now)
        await uow.commit()
        return "noticed"


def _signed(contract: ContractRow | None) -> SignedTerm | None:
    if contract is None:
        return None
    return SignedTerm(start=contract.start, end=contract.end, provider_id=contract.provider_id)


async def _check_filed_price(uow: UnitOfWork, bed: BedRow, cmd: RenewalIn) -> None:
    """The bed's provider is active and the fee is one of its filed prices (002 §四)."""
    provider = await uow.repo(ProviderRepository).get(bed.provider_id)
    if provider is None or provider.status != ProviderStatus.ACTIVE:
        raise PreconditionFailed(
            action=BedAction.RENEW_CONTRACT.value,
            problems=[f"provider {bed.provider_id!r} is registered and active"],
        )
    problem = fee_problem(cmd.base_package_fee_fen, filed_packages(provider), cmd.package_code)
    if problem:
        field = "package_code" if cmd.package_code else "base_package_fee_fen"
        raise ContractViolation([(field, problem)])
