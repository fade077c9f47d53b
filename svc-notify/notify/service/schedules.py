"""On-call schedules per provider: a rotation per role label, overridden for stretches of time;
who is on call is computed with the injected clock."""

from __future__ import annotations

import uuid
from datetime import timedelta

from chassis.db import UnitOfWork
from chassis.errors import NotFound, Unprocessable
from chassis.principal import Role
from notify.domain.schedules import Override, Rotation, on_call
from notify.repository import RecipientRepository, ScheduleRepository
from notify.schemas import OverrideCreate, OverrideRead, ScheduleRead, ScheduleUpsert
from notify.service.access import managed_provider, staff_provider
from notify.service.context import NotifyContext
from notify.tables import OverrideRow, ScheduleRow


async def put_schedule(
    *, uow: UnitOfWork, ctx: NotifyContext, role: str, cmd: ScheduleUpsert
) -> ScheduleRead:
    """Create or replace the provider's rotation for `role`; members must be its recipients."""
    provider_id = managed_provider(ctx.principal, cmd.provider_id)
    if provider_id is None:
        raise Unprocessable([("provider_id", "name the provider whose schedule this is")])
    rotation = Rotation(
        members=tuple(cmd.members), starts_at=cmd.starts_at, shift=timedelta(hours=cmd.shift_hours)
    )
    async with uow:
        await _require_members(uow, provider_id, rotation.members, field="members")
        schedules = uow.repo(ScheduleRepository)
        row = await schedules.get(provider_id, role)
        if row is None:
            row = ScheduleRow(id=str(uuid.uuid4()), provider_id=provider_id, role=role)
            schedules.add(row)
        row.members = list(rotation.members)
        row.starts_at, row.shift_hours = cmd.starts_at, cmd.shift_hours
        row.updated_at, row.updated_by = ctx.now, ctx.principal.sub
        await uow.commit()
        return await _read(uow, ctx, row)


async def add_override(
    *, uow: UnitOfWork, ctx: NotifyContext, role: str, cmd: OverrideCreate
) -> ScheduleRead:
    """Someone else holds the role for a stretch (leave, swap); the latest-starting one wins."""
    provider_id = managed_provider(ctx.principal, None)
    override = Override(person_id=cmd.person_id, starts_at=cmd.starts_at, ends_at=cmd.ends_at)
    async with uow:
        row = await _visible(uow, ctx, provider_id, role)
        await _require_members(uow, row.provider_id, (override.person_id,), field="person_id")
        uow.repo(ScheduleRepository).add(
            OverrideRow(
                schedule_id=row.id,
                person_id=override.person_id,
                starts_at=override.starts_at,
                ends_at=override.ends_at,
                reason=cmd.reason,
                created_by=ctx.principal.sub,
            )
        )
        await uow.commit()
        return await _read(uow, ctx, row)


async def get_schedule(
    *, uow: UnitOfWork, ctx: NotifyContext, role: str, provider_id: str | None
) -> ScheduleRead:
    scope = provider_id if ctx.principal.role is Role.OPS else staff_provider(ctx.principal)
    async with uow:
        return await _read(uow, ctx, await _visible(uow, ctx, scope, role))


async def list_schedules(
    *, uow: UnitOfWork, ctx: NotifyContext, provider_id: str | None
) -> list[ScheduleRead]:
    scope = provider_id if ctx.principal.role is Role.OPS else staff_provider(ctx.principal)
    async with uow:
        rows = await uow.repo(ScheduleRepository).of_provider(scope)
        return [await _read(uow, ctx, row) for row in rows]


async def _visible(
    uow: UnitOfWork, ctx: NotifyContext, provider_id: str | None, role: str
) -> ScheduleRow:
    if provider_id is None:
        raise Unprocessable([("provider_id", "name the provider whose schedule to read")])
    row = await uow.repo(ScheduleRepository).get(provider_id, role)
    if row is None:
        raise NotFound("On-call schedule")
    return row


async def _require_members(
    uow: UnitOfWork, provider_id: str, members: tuple[str, ...], *, field: str
) -> None:
    recipients = uow.repo(RecipientRepository)
    for person_id in members:
        row = await recipients.get(person_id)
        if row is None or row.provider_id != provider_id:
            raise Unprocessable([(field, f"{person_id} is no recipient of provider {provider_id}")])


async def _read(uow: UnitOfWork, ctx: NotifyContext, row: ScheduleRow) -> ScheduleRead:
    overrides = await uow.repo(ScheduleRepository).overrides(row.id, ending_after=ctx.now)
    rotation = Rotation(
        members=tuple(row.members), starts_at=row.starts_at, shift=timedelta(hours=row.shift_hours)
    )
    now_on_call = on_call(
        rotation,
        [Override(o.person_id, o.starts_at, o.ends_at) for o in overrides],
        ctx.now,
    )
    return ScheduleRead(
        id=row.id,
        provider_id=row.provider_id,
        role=row.role,
        members=list(row.members),
        starts_at=row.starts_at,
        shift_hours=row.shift_hours,
        on_call_now=now_on_call,
        overrides=[
            OverrideRead(
                person_id=o.person_id,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                reason=o.reason,
                created_by=o.created_by,
            )
            for o in overrides
        ],
    )
