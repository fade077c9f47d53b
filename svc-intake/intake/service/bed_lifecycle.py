"""Bed lifecycle use cases: establish (建床), accept (验收), suspend, resume, terminate (撤床),
transfer (转介转养). Each change publishes one `intake.beds.v1` event through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from chassis.db import UnitOfWork
from chassis.principal import Role
from intake.domain.bed import (
    ChangeOutcome,
    TerminationReason,
    TransferTarget,
    check_accept,
    check_establish,
    resume_status,
    terminate,
    transfer,
)
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.policies.loader import load_profile
from intake.repository import SqlRepository
from intake.schemas.beds import AcceptIn, SuspendIn, TerminateIn, TransferIn
from intake.service.access import require
from intake.service.beds import bed_state, visible_bed
from intake.service.context import Ctx
from intake.service.events import BEDS_TOPIC, bed_event
from intake.tables import BedRow, ContractRow


@dataclass(frozen=True)
class EndResult:
    """What terminate/transfer answer: the platform-update deadline and whether it was missed."""

    bed_id: str
    status: str
    update_deadline: date
    deadline_estimated: bool
    late: bool


async def establish_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str) -> None:
    async with uow:
        repo = SqlRepository(uow.session)
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN)
        contract, installed, _missing = await bed_state(repo, bed)
        check_establish(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            has_care_plan=bool(bed.care_plan),
            has_signed_contract=contract is not None,
            installed=installed,
        )
        assert contract is not None
        bed.status = BedStatus.ESTABLISHED.value
        bed.established_on = ctx.today
        await _publish(uow, ctx, bed, contract, "established")


async def accept_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str, cmd: AcceptIn) -> bool:
    """The officer's inspection (001 §四(五)); a failed one is recorded and changes nothing."""
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.OFFICER)
        check_accept(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            established_on=bed.established_on or ctx.today,
            inspected_on=ctx.today,
        )
        inspection = {
            "officer": ctx.principal.sub,
            "on": ctx.today.isoformat(),
            "passed": cmd.passed,
            "note": cmd.note,
        }
        bed.inspections = [*bed.inspections, inspection]
        if not cmd.passed:
            bed.updated_at = ctx.now
            await uow.commit()
            return False
        bed.status = BedStatus.ACCEPTED.value
        bed.accepted_on = ctx.today
        await _publish(uow, ctx, bed, await _contract(uow, bed), "accepted")
        return True


async def suspend_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str, cmd: SuspendIn) -> None:
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        check_bed_action(BedStatus(bed.status), BedAction.SUSPEND)
        bed.status = BedStatus.SUSPENDED.value
        bed.suspended_on = ctx.today
        bed.suspension_reason = cmd.reason
        await _publish(uow, ctx, bed, await _contract(uow, bed), "suspended")


async def resume_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str) -> None:
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        status = resume_status(BedStatus(bed.status), accepted=bed.accepted_on is not None)
        bed.status = status.value
        bed.suspended_on = None
        bed.suspension_reason = None
        await _publish(uow, ctx, bed, await _contract(uow, bed), "resumed")


async def terminate_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str, cmd: TerminateIn) -> EndResult:
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        outcome = terminate(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            reason=TerminationReason(cmd.reason),
            event_date=cmd.event_date,
            recorded_on=ctx.today,
        )
        return await _end(uow, ctx, bed, outcome, note=cmd.note, name="terminated")


async def transfer_bed(*, uow: UnitOfWork, ctx: Ctx, bed_id: str, cmd: TransferIn) -> EndResult:
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        outcome = transfer(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            event_date=cmd.event_date,
            recorded_on=ctx.today,
        )
        bed.transfer_target = TransferTarget(cmd.target).value
        return await _end(uow, ctx, bed, outcome, note=cmd.note, name="transferred")


async def _end(
    uow: UnitOfWork, ctx: Ctx, bed: BedRow, outcome: ChangeOutcome, *, note: str | None, name: str
) -> EndResult:
    was_established = bed.established_on is not None
    bed.status = outcome.status.value
    bed.end_reason = outcome.reason.value
    bed.event_date = outcome.event_date
    bed.update_deadline = outcome.update_deadline.due
    bed.deadline_estimated = outcome.update_deadline.estimated
    bed.late_update = outcome.late
    bed.end_note = note
    bed.active_elder_id = None
    contract = await SqlRepository(uow.session).latest_contract(bed.id)
    if was_established and contract is not None:
        await _publish(uow, ctx, bed, contract, name)
    else:  # never established: no other service has heard of this bed
        bed.updated_at = ctx.now
        await uow.commit()
    return EndResult(
        bed_id=bed.id,
        status=bed.status,
        update_deadline=outcome.update_deadline.due,
        deadline_estimated=outcome.update_deadline.estimated,
        late=outcome.late,
    )


async def _load(uow: UnitOfWork, ctx: Ctx, bed_id: str, *roles: Role) -> BedRow:
    bed = await visible_bed(SqlRepository(uow.session), ctx, bed_id)
    require(ctx.principal, *roles)
    return bed


async def _contract(uow: UnitOfWork, bed: BedRow) -> ContractRow:
    contract = await SqlRepository(uow.session).latest_contract(bed.id)
    assert contract is not None, "an established bed always has a contract"
    return contract


async def _publish(
    uow: UnitOfWork, ctx: Ctx, bed: BedRow, contract: ContractRow, name: str
) -> None:
    bed.updated_at = ctx.now
    await uow.publish(
        topic=BEDS_TOPIC, key=bed.id, event=bed_event(bed, contract, name, now=ctx.now)
    )
    await uow.commit()
