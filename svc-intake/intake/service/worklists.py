"""Staff and officer worklists (issue 10 item 16): beds missing required devices, beds due for
acceptance, contracts ending soon; each scoped to the caller's provider or regions."""

from __future__ import annotations

from datetime import timedelta

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.principal import Role
from intake.domain.bed import earliest_acceptance, missing_devices
from intake.domain.lifecycle import BedStatus
from intake.policies.loader import load_profile
from intake.repository import SqlRepository
from intake.schemas.beds import BedWorklistItem
from intake.service.context import IntakeContext
from intake.service.views import bed_summary, installation_views

WORKLIST_ROLES = (Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER)
LIVE = (BedStatus.PREPARING, BedStatus.ESTABLISHED, BedStatus.ACCEPTED, BedStatus.SUSPENDED)


async def missing_devices_worklist(
    *, uow: UnitOfWork, ctx: IntakeContext, limit: int, offset: int
) -> Page[BedWorklistItem]:
    """Beds in preparation whose installation checklist lacks a confirmed required device."""
    require_role(ctx.principal, *WORKLIST_ROLES)
    async with uow:
        repo = uow.repo(SqlRepository)
        beds = await repo.visible_beds_in(ctx.principal, [BedStatus.PREPARING.value])
        ids = [b.id for b in beds]
        installations = await repo.installations_of(ids)
        live = await repo.live_device_types_of(ids)
        items = []
        for bed in beds:
            installed = installation_views(installations[bed.id], live[bed.id])
            missing = missing_devices(load_profile(bed.jurisdiction), installed)
            if missing:
                items.append(
                    BedWorklistItem(
                        bed=bed_summary(bed),
                        missing_devices=missing,
                        acceptance_due_on=None,
                        contract_end=None,
                    )
                )
        return _page(items, limit, offset)


async def acceptance_due_worklist(
    *, uow: UnitOfWork, ctx: IntakeContext, limit: int, offset: int
) -> Page[BedWorklistItem]:
    """Established beds not accepted whose minimum service before acceptance has passed."""
    require_role(ctx.principal, *WORKLIST_ROLES)
    async with uow:
        repo = uow.repo(SqlRepository)
        beds = await repo.visible_beds_in(ctx.principal, [BedStatus.ESTABLISHED.value])
        items = []
        for bed in beds:
            if bed.established_on is None or bed.accepted_on is not None:
                continue
            profile = load_profile(bed.jurisdiction)
            due_on = earliest_acceptance(profile, established_on=bed.established_on)
            if due_on <= ctx.today:
                items.append(
                    BedWorklistItem(
                        bed=bed_summary(bed),
                        missing_devices=[],
                        acceptance_due_on=due_on,
                        contract_end=None,
                    )
                )
        items.sort(key=lambda i: (i.acceptance_due_on, i.bed.id))
        return _page(items, limit, offset)


async def contracts_ending_worklist(
    *, uow: UnitOfWork, ctx: IntakeContext, within_days: int, limit: int, offset: int
) -> Page[BedWorklistItem]:
    """Live beds whose latest contract ends between today and today + `within_days`."""
    require_role(ctx.principal, *WORKLIST_ROLES)
    async with uow:
        rows, total = await uow.repo(SqlRepository).contracts_ending(
            ctx.principal,
            [s.value for s in LIVE],
            start=ctx.today,
            end=ctx.today + timedelta(days=within_days),
            limit=limit,
            offset=offset,
        )
        return Page[BedWorklistItem](
            items=[
                BedWorklistItem(
                    bed=bed_summary(bed),
                    missing_devices=[],
                    acceptance_due_on=None,
                    contract_end=contract.end,
                )
                for bed, contract in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )


def _page(items: list[BedWorklistItem], limit: int, offset: int) -> Page[BedWorklistItem]:
    return Page[BedWorklistItem](
        items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
    )
