"""Visit use cases: check in (idempotent), check out (detect exceptions, corroborate, verify),
read, list, and the version history."""

from __future__ import annotations

import uuid
from datetime import date

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import IllegalTransition, NotFound, Unprocessable
from chassis.principal import Role
from service_records.domain.vocabulary import VisitMode
from service_records.repository import RosterRepository, VisitRepository, WorkerRepository
from service_records.schemas.visits import (
    VisitCheckOut,
    VisitCreate,
    VisitRead,
    VisitSummary,
    VisitVersionRead,
)
from service_records.service.access import READERS, acting_worker, admin_provider, scope_for
from service_records.service.corroboration import ActivityProbe
from service_records.service.roster import require_in_service
from service_records.service.visit_records import (
    ACTIONS,
    OPEN,
    check_items,
    detect,
    open_exceptions,
    profile_of,
    record_version,
    require_not_future,
    service_date_of,
    settle,
    visit_read,
)
from service_records.tables import ObservationRow, VisitRow, WorkerRow


async def check_in(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: VisitCreate, idempotency_key: str | None
) -> VisitRead:
    """Open a visit at a bed in service; the same Idempotency-Key answers the same visit."""
    async with uow:
        require_role(ctx.principal, Role.CAREGIVER, Role.PROVIDER_ADMIN)
        visits = uow.repo(VisitRepository)
        if idempotency_key is not None:
            known = await visits.by_idempotency_key(ctx.principal.sub, idempotency_key)
            if known is not None:
                return await visit_read(uow, known)
        bed = await uow.repo(RosterRepository).visible(
            cmd.bed_id, await scope_for(uow, ctx.principal)
        )
        if bed is None:
            raise NotFound("Bed")
        worker = await _worker_for(uow, ctx, cmd)
        require_not_future(cmd.check_in.at, ctx.now, "body.check_in.at")
        profile = profile_of(bed)
        check_items(profile, cmd.items, "body.items")
        require_in_service(bed)
        visit = VisitRow(
            id=str(uuid.uuid4()),
            version=1,
            bed_id=bed.bed_id,
            provider_id=bed.provider_id,
            elder_id=bed.elder_id,
            worker_id=worker.id,
            worker_role=worker.role,
            mode=cmd.mode.value,
            status=OPEN,
            service_date=service_date_of(cmd.check_in.at),
            check_in=cmd.check_in.model_dump(mode="json"),
            check_out=None,
            check_in_at=cmd.check_in.at,
            check_out_at=None,
            items=list(cmd.items),
            caregiver_present=cmd.caregiver_present,
            corroboration=None,
            confirmation=None,
            confirmation_note=None,
            counted=False,
            idempotency_key=idempotency_key,
            created_by=ctx.principal.sub,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        visits.add(visit)
        await uow.session.flush()
        record_version(uow, visit, ctx, "check_in")
        await uow.commit()
        return await visit_read(uow, visit)


async def check_out(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    visit_id: str,
    cmd: VisitCheckOut,
    probe: ActivityProbe,
    tolerance_m: float,
) -> VisitRead:
    """Close a visit: exceptions are detected; with none open it is verified (visit.verified)."""
    async with uow:
        visits = uow.repo(VisitRepository)
        visit = await visits.visible(visit_id, await scope_for(uow, ctx.principal))
        if visit is None:
            raise NotFound("Visit")
        require_role(ctx.principal, Role.CAREGIVER, Role.PROVIDER_ADMIN)
        if ctx.principal.role is Role.CAREGIVER:
            worker = await acting_worker(uow, ctx.principal)
            if worker.id != visit.worker_id:
                raise NotFound("Visit")
        if visit.status != OPEN:
            raise IllegalTransition(
                state=visit.status,
                action="check_out",
                allowed_actions=ACTIONS.get(visit.status, []),
                entity="visit",
            )
        bed = await uow.repo(RosterRepository).get(visit.bed_id)
        assert bed is not None
        profile = profile_of(bed)
        at = cmd.check_out.at
        require_not_future(at, ctx.now, "body.check_out.at")
        if at <= visit.check_in_at:
            raise Unprocessable.field("body.check_out.at", "check-out must be after check-in")
        if cmd.items is not None:
            check_items(profile, cmd.items, "body.items")
            visit.items = list(cmd.items)
        if cmd.caregiver_present is not None:
            visit.caregiver_present = cmd.caregiver_present
        visit.check_out, visit.check_out_at = cmd.check_out.model_dump(mode="json"), at
        visit.corroboration = (
            await probe.corroborate(visit.bed_id, visit.check_in_at, at)
            if visit.mode == "on_site"
            else None
        )
        visit.updated_at = ctx.now
        for m in cmd.measurements:
            visits.add_observation(
                ObservationRow(
                    visit_id=visit.id,
                    bed_id=visit.bed_id,
                    elder_id=visit.elder_id,
                    kind=m.kind,
                    value=m.value,
                    value2=m.value2,
                    unit=m.unit,
                    observed_at=at,
                )
            )
        found = await detect(
            uow, visit, bed, profile, tolerance_m=tolerance_m, corroboration=visit.corroboration
        )
        await open_exceptions(uow, visit, found, ctx.now)
        await settle(uow, visit, profile, ctx.now, event="visit.verified")
        record_version(uow, visit, ctx, "check_out")
        await uow.commit()
        return await visit_read(uow, visit)


async def get_visit(*, uow: UnitOfWork, ctx: RequestContext, visit_id: str) -> VisitRead:
    """One visit with its exceptions and observations."""
    async with uow:
        require_role(ctx.principal, *READERS)
        visit = await uow.repo(VisitRepository).visible(
            visit_id, await scope_for(uow, ctx.principal)
        )
        if visit is None:
            raise NotFound("Visit")
        return await visit_read(uow, visit)


async def list_visits(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    bed_id: str | None,
    status: str | None,
    day_from: date | None,
    day_to: date | None,
    limit: int,
    offset: int,
) -> Page[VisitSummary]:
    """The visits the caller may see, newest first."""
    async with uow:
        require_role(ctx.principal, *READERS)
        rows, total = await uow.repo(VisitRepository).find(
            await scope_for(uow, ctx.principal),
            bed_id=bed_id,
            status=status,
            day_from=day_from,
            day_to=day_to,
            limit=limit,
            offset=offset,
        )
        return Page(items=[visit_summary(r) for r in rows], total=total, limit=limit, offset=offset)


async def list_versions(
    *, uow: UnitOfWork, ctx: RequestContext, visit_id: str
) -> list[VisitVersionRead]:
    """Every version of a visit: who did what, when and why (nothing is overwritten)."""
    async with uow:
        require_role(ctx.principal, *READERS)
        repo = uow.repo(VisitRepository)
        visit = await repo.visible(visit_id, await scope_for(uow, ctx.principal))
        if visit is None:
            raise NotFound("Visit")
        return [
            VisitVersionRead(
                version=v.version,
                action=v.action,
                actor_sub=v.actor_sub,
                actor_role=v.actor_role,
                reason=v.reason,
                at=v.at,
                snapshot=v.snapshot,
            )
            for v in await repo.versions(visit_id)
        ]


async def _worker_for(uow: UnitOfWork, ctx: RequestContext, cmd: VisitCreate) -> WorkerRow:
    if ctx.principal.role is Role.CAREGIVER:
        worker = await acting_worker(uow, ctx.principal)
        if cmd.worker_id is not None and cmd.worker_id != worker.id:
            raise Unprocessable.field("body.worker_id", "a caregiver checks in as themself")
        if not await uow.repo(RosterRepository).is_assigned(cmd.bed_id, worker.id):
            raise NotFound("Bed")
        return worker
    provider = admin_provider(ctx.principal)
    if cmd.worker_id is None:
        raise Unprocessable.field("body.worker_id", "a provider admin names the worker")
    found = await uow.repo(WorkerRepository).get(cmd.worker_id)
    if found is None or found.provider_id != provider or not found.active:
        raise Unprocessable.field("body.worker_id", "no active worker of this provider")
    return found


def visit_summary(row: VisitRow) -> VisitSummary:
    return VisitSummary(
        id=row.id,
        version=row.version,
        bed_id=row.bed_id,
        worker_id=row.worker_id,
        worker_role=row.worker_role,
        mode=VisitMode(row.mode),
        status=row.status,
        service_date=row.service_date,
        check_in_at=row.check_in_at,
        check_out_at=row.check_out_at,
    )
