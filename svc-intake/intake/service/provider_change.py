"""Provider replacement (001 §四(六) "试点地区民政部门应及时重新选定服务机构"): officers of the
bed's region move a bed, or every bed of a suspended provider, to an active provider serving the
bed's region.

What follows the bed: the devices (iot-ingest keys them by bed, so `bed.provider_changed` names
both providers), the archive (service records key it by bed), the application (its provider is
the bed's, for access) and the contract history (kept; the new provider signs a contract of its
own, which the bed shows as `new_contract_needed`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import NotFound, PreconditionFailed
from chassis.principal import Role
from intake.bed_change_repository import BedChangeRepository
from intake.domain.lifecycle import ACTIVE_BED_STATUSES, BedAction, BedStatus, check_bed_action
from intake.domain.provider import ProviderStatus, provider_problems
from intake.domain.tenancy import can_view
from intake.repository import ProviderRepository, SqlRepository
from intake.schemas.bed_changes import (
    ProviderBedsMoveIn,
    ProviderBedsMoveRead,
    ProviderChangeIn,
    SkippedBedRead,
)
from intake.schemas.beds import BedRead
from intake.service.beds import bed_answer, visible_bed
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event
from intake.tables import BedProviderChangeRow, BedRow, ProviderRow

LIVE = sorted(s.value for s in ACTIVE_BED_STATUSES)


async def change_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str, cmd: ProviderChangeIn
) -> BedRead:
    """Move one bed to another provider; publishes bed.provider_changed."""
    async with uow:
        bed = await visible_bed(uow.repo(SqlRepository), ctx, bed_id)
        require_role(ctx.principal, Role.OFFICER)
        check_bed_action(BedStatus(bed.status), BedAction.CHANGE_PROVIDER)
        target = await uow.repo(ProviderRepository).get(cmd.provider_id)
        problems = _target_problems(bed, target, cmd.provider_id)
        if problems:
            raise PreconditionFailed(action=BedAction.CHANGE_PROVIDER.value, problems=problems)
        await _move(
            uow,
            bed,
            cmd.provider_id,
            reason=cmd.reason,
            by=ctx.principal.sub,
            on=ctx.today,
            now=ctx.now,
        )
        answer = await bed_answer(uow, ctx, bed)
        await uow.commit()
        return answer


async def move_provider_beds(
    *, uow: UnitOfWork, ctx: IntakeContext, provider_id: str, cmd: ProviderBedsMoveIn
) -> ProviderBedsMoveRead:
    """Move every live bed of a suspended provider in the officer's regions to another provider;
    a bed the target cannot take (outside its service area) stays, listed with why."""
    require_role(ctx.principal, Role.OFFICER)
    async with uow:
        providers = uow.repo(ProviderRepository)
        source = await providers.get(provider_id)
        if source is None:
            raise NotFound("provider")
        if source.status != ProviderStatus.SUSPENDED:
            raise PreconditionFailed(
                action="move_beds",
                problems=[
                    "needs: the provider is suspended or closed by civil affairs (001 §四(六))"
                ],
            )
        target = await providers.get(cmd.to_provider_id)
        beds = await uow.repo(BedChangeRepository).beds_of_provider(provider_id, LIVE)
        moved: list[str] = []
        skipped: list[SkippedBedRead] = []
        for bed in beds:
            if not can_view(
                ctx.principal,
                applicant_sub=bed.applicant_sub,
                provider_id=bed.provider_id,
                region_code=bed.region_code,
            ):
                continue  # another region's officers decide for their beds
            problems = _target_problems(bed, target, cmd.to_provider_id)
            if problems:
                skipped.append(SkippedBedRead(bed_id=bed.id, problems=problems))
                continue
            await _move(
                uow,
                bed,
                cmd.to_provider_id,
                reason=cmd.reason,
                by=ctx.principal.sub,
                on=ctx.today,
                now=ctx.now,
            )
            moved.append(bed.id)
        await uow.commit()
        return ProviderBedsMoveRead(
            from_provider_id=provider_id,
            to_provider_id=cmd.to_provider_id,
            moved=moved,
            skipped=skipped,
        )


def _target_problems(bed: BedRow, target: ProviderRow | None, target_id: str) -> list[str]:
    if target is None:
        return [f"provider {target_id!r} is registered"]
    if target.id == bed.provider_id:
        return ["the bed is already with this provider"]
    return provider_problems(
        status=target.status, service_area=target.service_area, region_code=bed.region_code
    )


async def _move(
    uow: UnitOfWork,
    bed: BedRow,
    provider_id: str,
    *,
    reason: str,
    by: str,
    on: date,
    now: datetime,
) -> None:
    """Hand the bed (and its application, for access) over; keep the history; stage the event."""
    previous = bed.provider_id
    uow.repo(BedChangeRepository).add(
        BedProviderChangeRow(
            id=str(uuid.uuid4()),
            bed_id=bed.id,
            from_provider_id=previous,
            to_provider_id=provider_id,
            changed_on=on,
            changed_by=by,
            reason=reason,
            created_at=now,
        )
    )
    bed.provider_id = provider_id
    bed.updated_at = now
    repo = uow.repo(SqlRepository)
    application = await repo.application(bed.application_id)
    if application is not None:
        application.provider_id = provider_id
        application.updated_at = now
    contract = await repo.latest_contract(bed.id)
    if contract is not None:  # other services know the bed from its contract on
        details = {"previous_provider_id": previous}
        await emit_bed_event(uow, bed, contract, "provider_changed", now=now, details=details)
