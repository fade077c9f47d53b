"""Bed lifecycle use cases: establish (建床), suspend, resume, terminate (撤床).
Each change publishes one `intake.beds.v1` event through the outbox. Transfers (转介转养) follow
the referral path: `intake.service.referral_intake`; acceptance (验收) is a workflow of its own:
`intake.service.acceptance`."""

from __future__ import annotations

from datetime import date

from chassis.access import require_role
from chassis.clock import shanghai_date
from chassis.db import UnitOfWork
from chassis.principal import Role
from intake.domain.bed import (
    ChangeOutcome,
    TerminationReason,
    check_establish,
    resume_status,
    terminate,
)
from intake.domain.lifecycle import BedAction, BedStatus, check_bed_action
from intake.policies.loader import load_profile
from intake.repository import SqlRepository
from intake.schemas.beds import BedRead, EndRead, SuspendIn, TerminateIn
from intake.service.bed_endings import end_bed
from intake.service.beds import bed_answer, bed_state, visible_bed
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event
from intake.tables import BedRow


async def establish_bed(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str) -> BedRead:
    """Establish the bed (建床) once care plan, contract and required devices are in place."""
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN)
        contract, installed, _missing = await bed_state(uow.repo(SqlRepository), bed)
        check_establish(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            has_care_plan=bool(bed.care_plan),
            has_signed_contract=contract is not None,
            installed=installed,
        )
        bed.status = BedStatus.ESTABLISHED.value
        bed.established_on = ctx.today
        answer = await _announced(uow, ctx, bed, "established")
        await uow.commit()
        return answer


async def suspend_bed(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: SuspendIn
) -> BedRead:
    """Suspend a bed (暂停服务), e.g. for a hospital stay; publishes bed.suspended."""
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        check_bed_action(BedStatus(bed.status), BedAction.SUSPEND)
        bed.status = BedStatus.SUSPENDED.value
        bed.suspended_on = ctx.today
        bed.suspension_reason = cmd.reason
        answer = await _announced(uow, ctx, bed, "suspended")
        await uow.commit()
        return answer


async def resume_bed(*, uow: UnitOfWork, ctx: IntakeContext, bed_id: str) -> BedRead:
    """Resume a suspended bed in the state it had; publishes bed.resumed."""
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        status = resume_status(BedStatus(bed.status), accepted=bed.accepted_on is not None)
        bed.status = status.value
        bed.suspended_on = None
        bed.suspension_reason = None
        answer = await _announced(uow, ctx, bed, "resumed")
        await uow.commit()
        return answer


async def terminate_bed(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: TerminateIn
) -> EndRead:
    """Terminate the bed (撤床) and dissolve its contract; answers the platform-update deadline
    (N working days after the dissolution, 001 §四(六)) and whether it was missed."""
    async with uow:
        bed = await _load(uow, ctx, bed_id, Role.PROVIDER_ADMIN, Role.OFFICER)
        outcome = terminate(
            BedStatus(bed.status),
            profile=load_profile(bed.jurisdiction),
            reason=TerminationReason(cmd.reason),
            event_date=cmd.event_date,
            recorded_on=ctx.today,
            bed_since=bed_since(bed),
            contract_dissolved_on=cmd.contract_dissolved_on,
        )
        await end_bed(
            uow, bed, outcome, now=ctx.now, by=ctx.principal.sub, note=cmd.note, name="terminated"
        )
        answer = await _end_answer(uow, ctx, bed, outcome)
        await uow.commit()
        return answer


def bed_since(bed: BedRow) -> date:
    """The first day the bed existed: established, or approved (Shanghai date) if still preparing."""
    return bed.established_on or shanghai_date(bed.created_at)


async def _end_answer(
    uow: UnitOfWork, ctx: IntakeContext, bed: BedRow, outcome: ChangeOutcome
) -> EndRead:
    return EndRead(
        bed=await bed_answer(uow, ctx, bed),
        contract_dissolved_on=outcome.contract_dissolved_on,
        update_deadline=outcome.update_deadline.due,
        deadline_estimated=outcome.update_deadline.estimated,
        late=outcome.late,
    )


async def _load(uow: UnitOfWork, ctx: IntakeContext, bed_id: str, *roles: Role) -> BedRow:
    bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
    require_role(ctx.principal, *roles)
    return bed


async def _announced(uow: UnitOfWork, ctx: IntakeContext, bed: BedRow, name: str) -> BedRead:
    """Stage `bed.<name>` for the change just made and read the bed back; the caller commits."""
    bed.updated_at = ctx.now
    contract = await uow.repo(SqlRepository).latest_contract(bed.id)
    assert contract is not None, "a bed past preparation always has a contract"
    await emit_bed_event(uow, bed, contract, name, now=ctx.now)
    return await bed_answer(uow, ctx, bed)
