"""The roster: beds learnt from `intake.beds.v1`, with suspension history; coordinates and
assignees set by the provider admin; the in-service check every visit passes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta

from chassis.access import require_role
from chassis.clock import shanghai_date
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.intake import BedEvent
from service_records.domain.minimums import BedFacts, Suspension
from service_records.repository import RosterRepository, WorkerRepository
from service_records.schemas.roster import (
    BedAssigneesSet,
    BedLocationSet,
    BedRead,
    BedSummary,
    SuspensionRead,
)
from service_records.service.access import READERS, admin_provider, scope_for, visible_bed
from service_records.tables import AssignmentRow, RosterBedRow, SuspensionRow

logger = logging.getLogger(__name__)

IN_SERVICE = frozenset({"established", "accepted"})
ENDED = frozenset({"terminated", "transferred"})


def in_service(bed: RosterBedRow) -> bool:
    return bed.status in IN_SERVICE and bed.established_on is not None


def require_in_service(bed: RosterBedRow) -> None:
    """409 saying why a bed takes no visits: not established yet, suspended, or ended."""
    if in_service(bed):
        return
    if bed.status == "suspended":
        why = f"the bed is suspended since {bed.suspended_on}"
    elif bed.status in ENDED:
        why = f"the bed ended on {bed.ended_on} ({bed.status}: {bed.end_reason or 'no reason'})"
    else:
        why = f"the bed is not established yet (status {bed.status})"
    raise Conflict(
        f"no visits for bed {bed.bed_id}: {why}",
        extra={"bed_status": bed.status, "reason": "bed_not_in_service"},
    )


def bed_facts(bed: RosterBedRow, suspensions: Sequence[SuspensionRow]) -> BedFacts | None:
    """What the minimums rule needs; None for a bed never established."""
    if bed.established_on is None:
        return None
    periods = tuple(
        Suspension(start=s.start, end=s.end if s.end is not None else date.max)
        for s in suspensions
        if s.end is None or s.end >= s.start
    )
    return BedFacts(established_on=bed.established_on, suspensions=periods, ended_on=bed.ended_on)


async def apply_bed_event(*, uow: UnitOfWork, type_: str, event: BedEvent) -> RosterBedRow | None:
    """Upsert the bed from an intake event; keeps suspension periods. Never commits.

    Returns the bed, or None when the event is older than what the roster knows."""
    roster = uow.repo(RosterRepository)
    on = event.event_date or shanghai_date(event.occurred_at)
    bed = await roster.get(event.bed_id)
    if bed is None:
        bed = RosterBedRow(bed_id=event.bed_id, last_event_at=event.occurred_at)
        roster.add(bed)
    elif event.occurred_at < bed.last_event_at:
        logger.info("older bed event ignored", extra={"bed_id": event.bed_id, "type": type_})
        return None
    bed.provider_id, bed.elder_id = event.provider_id, event.elder_id
    bed.region_code, bed.jurisdiction = event.region_code, event.jurisdiction
    bed.status = event.status
    bed.contract_start, bed.contract_end = event.contract_start, event.contract_end
    bed.established_on, bed.accepted_on = event.established_on, event.accepted_on
    if event.applicant_sub is not None:  # an event without it keeps the known account
        bed.elder_sub = event.applicant_sub
    if event.elder_name_masked is not None:  # likewise the masked name and address
        bed.elder_name_masked = event.elder_name_masked
    if event.address_masked is not None:
        bed.address_masked = event.address_masked
    bed.last_event_at = event.occurred_at
    if type_ == "bed.suspended":
        bed.suspended_on = on
        if await roster.open_suspension(bed.bed_id) is None:
            roster.add_suspension(
                SuspensionRow(bed_id=bed.bed_id, start=on, end=None, reason=event.reason)
            )
    elif type_ == "bed.resumed":
        bed.resumed_on = on
        await _close_suspension(roster, bed.bed_id, on - timedelta(days=1))
    elif type_ in ("bed.terminated", "bed.transferred"):
        bed.ended_on, bed.end_reason = on, event.reason or event.transfer_target
        await _close_suspension(roster, bed.bed_id, on)
    return bed


async def _close_suspension(roster: RosterRepository, bed_id: str, end: date) -> None:
    open_one = await roster.open_suspension(bed_id)
    if open_one is not None:
        open_one.end = end


async def get_bed(*, uow: UnitOfWork, ctx: RequestContext, bed_id: str) -> BedRead:
    """One bed of the roster, with its suspension history and assignees."""
    async with uow:
        require_role(ctx.principal, *READERS)
        roster = uow.repo(RosterRepository)
        bed = await visible_bed(uow, ctx.principal, bed_id)
        return await bed_read(roster, bed)


async def list_beds(
    *, uow: UnitOfWork, ctx: RequestContext, status: str | None, limit: int, offset: int
) -> Page[BedSummary]:
    """The beds the caller may see (caregiver: assigned to them)."""
    async with uow:
        require_role(ctx.principal, *READERS)
        rows, total = await uow.repo(RosterRepository).find(
            await scope_for(uow, ctx.principal), status=status, limit=limit, offset=offset
        )
        return Page(
            items=[bed_summary(row) for row in rows], total=total, limit=limit, offset=offset
        )


async def set_location(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, cmd: BedLocationSet
) -> BedRead:
    """Record the bed's coordinates (at installation): the reference of the EVV location check."""
    async with uow:
        roster = uow.repo(RosterRepository)
        bed = await visible_bed(uow, ctx.principal, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        bed.latitude, bed.longitude = cmd.latitude, cmd.longitude
        bed.location_set_by, bed.location_set_at = ctx.principal.sub, ctx.now
        await uow.commit()
        return await bed_read(roster, bed)


async def set_assignees(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, cmd: BedAssigneesSet
) -> BedRead:
    """Assign the provider's workers to a bed (they see it and may check in)."""
    async with uow:
        roster = uow.repo(RosterRepository)
        bed = await visible_bed(uow, ctx.principal, bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        provider = admin_provider(ctx.principal)
        workers = uow.repo(WorkerRepository)
        for index, worker_id in enumerate(cmd.worker_ids):
            worker = await workers.get(worker_id)
            if worker is None or worker.provider_id != provider or not worker.active:
                raise Unprocessable.field(
                    f"body.worker_ids.{index}", f"no active worker {worker_id} of this provider"
                )
        await roster.replace_assignees(
            bed_id,
            [
                AssignmentRow(bed_id=bed_id, worker_id=w, assigned_at=ctx.now)
                for w in dict.fromkeys(cmd.worker_ids)
            ],
        )
        await uow.commit()
        return await bed_read(roster, bed)


def bed_summary(bed: RosterBedRow) -> BedSummary:
    return BedSummary(
        bed_id=bed.bed_id,
        provider_id=bed.provider_id,
        elder_id=bed.elder_id,
        region_code=bed.region_code,
        jurisdiction=bed.jurisdiction,
        status=bed.status,
        in_service=in_service(bed),
        elder_name_masked=bed.elder_name_masked,
        address_masked=bed.address_masked,
    )


async def bed_read(roster: RosterRepository, bed: RosterBedRow) -> BedRead:
    suspensions = await roster.suspensions(bed.bed_id)
    return BedRead(
        **bed_summary(bed).model_dump(),
        contract_start=bed.contract_start,
        contract_end=bed.contract_end,
        established_on=bed.established_on,
        accepted_on=bed.accepted_on,
        suspended_on=bed.suspended_on,
        resumed_on=bed.resumed_on,
        ended_on=bed.ended_on,
        end_reason=bed.end_reason,
        suspensions=[
            SuspensionRead(start=s.start, end=s.end, reason=s.reason) for s in suspensions
        ],
        latitude=bed.latitude,
        longitude=bed.longitude,
        location_set_at=bed.location_set_at,
        assignees=await roster.assignees(bed.bed_id),
    )
