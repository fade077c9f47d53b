"""Care workers per provider (role, certificates, active, linked login) and family-caregiver
trainings (000 §四(三): one free training per bed period)."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, Forbidden, NotFound, Unprocessable
from chassis.principal import Role
from service_records.domain.vocabulary import WorkerRole
from service_records.repository import RosterRepository, TrainingRepository, WorkerRepository
from service_records.schemas.workers import (
    TrainingCreate,
    TrainingRead,
    WorkerCreate,
    WorkerRead,
    WorkerSummary,
    WorkerUpdate,
)
from service_records.service.access import READERS, admin_provider, scope_for
from service_records.tables import TrainingRow, WorkerRow


async def create_worker(*, uow: UnitOfWork, ctx: RequestContext, cmd: WorkerCreate) -> WorkerRead:
    """Register a care worker of the admin's provider."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        provider = admin_provider(ctx.principal)
        if cmd.provider_id is not None and cmd.provider_id != provider:
            raise Forbidden("a provider admin registers workers of their own provider only")
        workers = uow.repo(WorkerRepository)
        if cmd.user_sub is not None and await workers.by_sub(cmd.user_sub) is not None:
            raise Conflict(f"the account {cmd.user_sub} is already linked to a worker")
        row = WorkerRow(
            id=str(uuid.uuid4()),
            provider_id=provider,
            name=cmd.name,
            role=cmd.role.value,
            certificates=list(cmd.certificates),
            user_sub=cmd.user_sub,
            active=True,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        workers.add(row)
        await uow.commit()
        return worker_read(row)


NOT_NULL_FIELDS = ("name", "certificates", "active")


async def update_worker(
    *, uow: UnitOfWork, ctx: RequestContext, worker_id: str, cmd: WorkerUpdate
) -> WorkerRead:
    """Change a worker's name, certificates, linked account or active flag."""
    async with uow:
        workers = uow.repo(WorkerRepository)
        row = await _visible_worker(uow, ctx, worker_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN)
        changes = cmd.model_dump(exclude_unset=True)
        nulls = [name for name in NOT_NULL_FIELDS if name in changes and changes[name] is None]
        if nulls:  # only user_sub may be cleared; null elsewhere is not "unchanged"
            raise Unprocessable([(f"body.{name}", "may not be null") for name in nulls])
        if "user_sub" in changes and changes["user_sub"] not in (None, row.user_sub):
            other = await workers.by_sub(changes["user_sub"])
            if other is not None:
                raise Conflict(f"the account {changes['user_sub']} is already linked to a worker")
        for name, value in changes.items():
            setattr(row, name, list(value) if name == "certificates" else value)
        row.updated_at = ctx.now
        try:
            await uow.commit()
        except IntegrityError:
            raise Conflict("the account is already linked to a worker") from None
        return worker_read(row)


async def get_worker(*, uow: UnitOfWork, ctx: RequestContext, worker_id: str) -> WorkerRead:
    """One worker: provider staff of the same provider, or the worker themself."""
    async with uow:
        return worker_read(await _visible_worker(uow, ctx, worker_id))


async def list_workers(
    *,
    uow: UnitOfWork,
    ctx: RequestContext,
    role: WorkerRole | None,
    active: bool | None,
    limit: int,
    offset: int,
) -> Page[WorkerSummary]:
    """The workers of the caller's provider (provider admins and caregivers)."""
    async with uow:
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.CAREGIVER)
        provider = ctx.principal.provider_id
        if provider is None:
            return Page(items=[], total=0, limit=limit, offset=offset)
        rows, total = await uow.repo(WorkerRepository).find(
            provider_id=provider,
            role=role.value if role else None,
            active=active,
            limit=limit,
            offset=offset,
        )
        return Page(
            items=[worker_summary(r) for r in rows], total=total, limit=limit, offset=offset
        )


async def record_training(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, cmd: TrainingCreate
) -> TrainingRead:
    """Record a family-caregiver training; the first in the bed's contract period is free."""
    async with uow:
        roster = uow.repo(RosterRepository)
        bed = await roster.visible(bed_id, await scope_for(uow, ctx.principal))
        if bed is None:
            raise NotFound("Bed")
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.CAREGIVER)
        trainings = uow.repo(TrainingRepository)
        earlier = [
            t
            for t in await trainings.for_bed(bed_id)
            if t.free and bed.contract_start <= t.trained_on <= bed.contract_end
        ]
        in_period = bed.contract_start <= cmd.trained_on <= bed.contract_end
        row = TrainingRow(
            id=str(uuid.uuid4()),
            bed_id=bed_id,
            provider_id=bed.provider_id,
            trainee_name=cmd.trainee_name,
            topic=cmd.topic,
            trained_on=cmd.trained_on,
            free=in_period and not earlier,
            trainer_worker_id=cmd.trainer_worker_id,
            recorded_by=ctx.principal.sub,
            created_at=ctx.now,
        )
        trainings.add(row)
        await uow.commit()
        return training_read(row)


async def list_trainings(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str
) -> list[TrainingRead]:
    """The family-caregiver trainings of a bed."""
    async with uow:
        require_role(ctx.principal, *READERS)
        bed = await uow.repo(RosterRepository).visible(bed_id, await scope_for(uow, ctx.principal))
        if bed is None:
            raise NotFound("Bed")
        return [training_read(t) for t in await uow.repo(TrainingRepository).for_bed(bed_id)]


async def _visible_worker(uow: UnitOfWork, ctx: RequestContext, worker_id: str) -> WorkerRow:
    row = await uow.repo(WorkerRepository).get(worker_id)
    principal = ctx.principal
    visible = row is not None and (
        (principal.role is Role.PROVIDER_ADMIN and row.provider_id == principal.provider_id)
        or (principal.role is Role.CAREGIVER and row.user_sub == principal.sub)
    )
    if row is None or not visible:
        raise NotFound("Worker")
    return row


def worker_summary(row: WorkerRow) -> WorkerSummary:
    return WorkerSummary(
        id=row.id,
        provider_id=row.provider_id,
        name=row.name,
        role=WorkerRole(row.role),
        active=row.active,
    )


def worker_read(row: WorkerRow) -> WorkerRead:
    return WorkerRead(
        **worker_summary(row).model_dump(),
        certificates=list(row.certificates),
        user_sub=row.user_sub,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def training_read(row: TrainingRow) -> TrainingRead:
    return TrainingRead(
        id=row.id,
        bed_id=row.bed_id,
        trainee_name=row.trainee_name,
        topic=row.topic,
        trained_on=row.trained_on,
        free=row.free,
        trainer_worker_id=row.trainer_worker_id,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )
