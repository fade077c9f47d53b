"""The service archive (服务档案; "one person, one file", 004 §二(四)1; 001 §四(三)2): one
timeline per bed of verified visits (and their corrections and voids), observations, alarm
events and bed changes, written as they happen and read in pages, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound, Unprocessable
from chassis.principal import Role
from homebed_schemas.events.intake import BedEvent
from service_records.repository import ArchiveRepository, RosterRepository, VisitRepository
from service_records.schemas.archive import ArchiveEntryRead
from service_records.schemas.inbound import AlarmNotice
from service_records.service.access import READERS, visible_bed
from service_records.tables import ArchiveEntryRow, RosterBedRow, VisitRow

KINDS = ("visit", "observation", "alarm", "bed")


async def _add(
    uow: UnitOfWork,
    *,
    bed_id: str,
    elder_id: str,
    at: datetime,
    kind: str,
    type_: str,
    ref: str,
    summary: dict[str, Any],
) -> None:
    archive = uow.repo(ArchiveRepository)
    if await archive.exists(bed_id, kind, type_, ref):
        return
    archive.add(
        ArchiveEntryRow(
            bed_id=bed_id,
            elder_id=elder_id,
            at=at,
            kind=kind,
            type=type_,
            ref=ref,
            summary=summary,
        )
    )


async def record_visit(
    uow: UnitOfWork, visit: VisitRow, type_: str, at: datetime, reason: str | None = None
) -> None:
    """A visit verified or corrected (dated by its check-in), or voided (dated `at`); a verified
    one brings its observations."""
    seconds = (
        int((visit.check_out_at - visit.check_in_at).total_seconds()) if visit.check_out_at else 0
    )
    await _add(
        uow,
        bed_id=visit.bed_id,
        elder_id=visit.elder_id,
        at=at if type_ == "visit.voided" else visit.check_in_at,
        kind="visit",
        type_=type_,
        ref=f"{visit.id}:v{visit.version}",
        summary={
            "visit_id": visit.id,
            "version": visit.version,
            "worker_id": visit.worker_id,
            "worker_role": visit.worker_role,
            "mode": visit.mode,
            "check_in_at": visit.check_in_at.isoformat(),
            "check_out_at": visit.check_out_at.isoformat() if visit.check_out_at else None,
            "service_seconds": seconds,
            "items": list(visit.items),
            "reason": reason,
        },
    )
    if type_ == "visit.voided":
        return
    for o in await uow.repo(VisitRepository).observations(visit.id):
        await _add(
            uow,
            bed_id=visit.bed_id,
            elder_id=visit.elder_id,
            at=o.observed_at,
            kind="observation",
            type_=o.kind,
            ref=str(o.id),
            summary={
                "visit_id": visit.id,
                "kind": o.kind,
                "value": o.value,
                "value2": o.value2,
                "unit": o.unit,
            },
        )


async def record_bed_event(uow: UnitOfWork, bed: RosterBedRow, type_: str, event: BedEvent) -> None:
    summary: dict[str, Any] = {
        "status": event.status,
        "event_date": event.event_date.isoformat() if event.event_date else None,
        "reason": event.reason,
        "transfer_target": event.transfer_target,
    }
    if event.previous_provider_id is not None:  # bed.provider_changed: who had it, who has it
        summary["previous_provider_id"] = event.previous_provider_id
        summary["provider_id"] = event.provider_id
    await _add(
        uow,
        bed_id=bed.bed_id,
        elder_id=bed.elder_id,
        at=event.occurred_at,
        kind="bed",
        type_=type_,
        ref=event.occurred_at.isoformat(),
        summary=summary,
    )


async def record_alarm(uow: UnitOfWork, bed: RosterBedRow, type_: str, alarm: AlarmNotice) -> None:
    await _add(
        uow,
        bed_id=bed.bed_id,
        elder_id=bed.elder_id,
        at=alarm.occurred_at,
        kind="alarm",
        type_=type_,
        ref=f"{alarm.alarm_id}:{alarm.occurred_at.isoformat()}",
        summary={
            "alarm_id": alarm.alarm_id,
            "alarm_type": alarm.alarm_type,
            "severity": alarm.severity,
            "status": alarm.status,
            "raised_at": alarm.raised_at.isoformat(),
            "outcome": alarm.outcome,
            "note": alarm.note,
            "sla_breached": alarm.sla_breached,
        },
    )


async def bed_archive(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str,
    kind: str | None,
    limit: int,
    offset: int,
) -> Page[ArchiveEntryRead]:
    """A bed's archive for the people who may see the bed (404 otherwise)."""
    async with uow:
        require_role(ctx.principal, *READERS)
        await visible_bed(uow, ctx.principal, bed_id)
        return await _page(uow, bed_id, kind, limit, offset)


async def internal_archive(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str,
    kind: str | None,
    limit: int,
    offset: int,
) -> Page[ArchiveEntryRead]:
    """A bed's archive for other services (referral, reports). The chassis has no service role:
    a calling service presents an internal token with `Role.OPS` (README, "Archive")."""
    async with uow:
        require_role(ctx.principal, Role.OPS)
        if await uow.repo(RosterRepository).get(bed_id) is None:
            raise NotFound("Bed")
        return await _page(uow, bed_id, kind, limit, offset)


async def _page(
    uow: UnitOfWork, bed_id: str, kind: str | None, limit: int, offset: int
) -> Page[ArchiveEntryRead]:
    if kind is not None and kind not in KINDS:
        raise Unprocessable.field("query.kind", f"one of {', '.join(KINDS)}")
    rows, total = await uow.repo(ArchiveRepository).timeline(
        bed_id, kind=kind, limit=limit, offset=offset
    )
    return Page(
        items=[
            ArchiveEntryRead(
                id=r.id,
                bed_id=r.bed_id,
                elder_id=r.elder_id,
                at=r.at,
                kind=r.kind,
                type=r.type,
                ref=r.ref,
                summary=r.summary,
            )
            for r in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )
