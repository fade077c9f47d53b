"""Provider use cases: the public register applicants choose from (no credential), officers'
registration and suspension, provider admins' own contact and filed prices; and the check every
use case that is given a provider id runs (`provider_problems_for`)."""

from __future__ import annotations

from typing import Any

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Conflict, Forbidden, NotFound
from chassis.principal import Role
from intake.domain.provider import FiledPackage, ProviderStatus, provider_problems
from intake.repository import ProviderFilter, ProviderRepository
from intake.schemas.providers import (
    ProviderCreate,
    ProviderRead,
    ProviderSuspend,
    ProviderUpdate,
)
from intake.service.context import IntakeContext
from intake.service.views import provider_read
from intake.tables import ProviderRow


async def provider_problems_for(
    providers: ProviderRepository, provider_id: str, *, region_code: str
) -> list[str]:
    """Why `provider_id` cannot take an elder of `region_code`: unknown, suspended, out of area."""
    row = await providers.get(provider_id)
    if row is None:
        return [f"provider {provider_id!r} is not registered"]
    return provider_problems(
        status=row.status, service_area=row.service_area, region_code=region_code
    )


def filed_packages(row: ProviderRow) -> list[FiledPackage]:
    return [
        FiledPackage(
            code=p["code"], monthly_fee_fen=p["monthly_fee_fen"], filing_ref=p["filing_ref"]
        )
        for p in row.packages
    ]


async def list_providers(
    *, uow: UnitOfWork, query: ProviderFilter, limit: int, offset: int
) -> Page[ProviderRead]:
    """The public register (no credential): active providers unless `status` says otherwise."""
    async with uow:
        rows, total = await uow.repo(ProviderRepository).page(query, limit=limit, offset=offset)
        return Page[ProviderRead](
            items=[provider_read(r) for r in rows], total=total, limit=limit, offset=offset
        )


async def get_provider(*, uow: UnitOfWork, provider_id: str) -> ProviderRead:
    """One provider of the public register."""
    async with uow:
        row = await uow.repo(ProviderRepository).get(provider_id)
        if row is None:
            raise NotFound("provider")
        return provider_read(row)


async def create_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, cmd: ProviderCreate
) -> ProviderRead:
    """Register a licensed provider (officers, in their own regions)."""
    require_role(ctx.principal, Role.OFFICER)
    if not ctx.principal.in_region(cmd.jurisdiction):
        raise Forbidden("officers register providers of their own regions only")
    async with uow:
        providers = uow.repo(ProviderRepository)
        if await providers.get(cmd.id) is not None:
            raise Conflict(f"provider {cmd.id!r} is already registered")
        if await providers.by_licence(cmd.licence_no) is not None:
            raise Conflict("a provider with this licence number is already registered")
        row = ProviderRow(
            id=cmd.id,
            name=cmd.name,
            licence_no=cmd.licence_no,
            jurisdiction=cmd.jurisdiction,
            service_area=list(cmd.service_area),
            contact=cmd.contact.model_dump(mode="json"),
            packages=[p.model_dump(mode="json") for p in cmd.packages],
            status=ProviderStatus.ACTIVE.value,
            created_by=ctx.principal.sub,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        providers.add(row)
        await providers.flush()
        answer = provider_read(row)
        await uow.commit()
        return answer


async def update_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, provider_id: str, cmd: ProviderUpdate
) -> ProviderRead:
    """Provider admins: their own contact and filed prices; officers of its region: also the area."""
    async with uow:
        row = await _provider(uow, provider_id)
        principal = ctx.principal
        require_role(principal, Role.PROVIDER_ADMIN, Role.OFFICER)
        if principal.role is Role.PROVIDER_ADMIN:
            if principal.provider_id != row.id:
                raise Forbidden("provider admins update their own provider only")
            if cmd.service_area is not None:
                raise Forbidden(
                    "the service area is set by civil affairs", required_roles=["officer"]
                )
        else:
            _require_region(ctx, row)
        changes: dict[str, Any] = cmd.model_dump(mode="json", exclude_unset=True)
        for name in ("contact", "packages", "service_area"):
            if changes.get(name) is not None:
                setattr(row, name, changes[name])
        row.updated_at = ctx.now
        answer = provider_read(row)
        await uow.commit()
        return answer


async def suspend_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, provider_id: str, cmd: ProviderSuspend
) -> ProviderRead:
    """Suspend a provider: no new applications, approvals or contracts name it."""
    return await _set_status(uow, ctx, provider_id, ProviderStatus.SUSPENDED, cmd.reason)


async def reactivate_provider(
    *, uow: UnitOfWork, ctx: IntakeContext, provider_id: str
) -> ProviderRead:
    """Lift a suspension."""
    return await _set_status(uow, ctx, provider_id, ProviderStatus.ACTIVE, None)


async def _set_status(
    uow: UnitOfWork,
    ctx: IntakeContext,
    provider_id: str,
    status: ProviderStatus,
    reason: str | None,
) -> ProviderRead:
    async with uow:
        row = await _provider(uow, provider_id)
        require_role(ctx.principal, Role.OFFICER)
        _require_region(ctx, row)
        row.status, row.status_reason, row.updated_at = status.value, reason, ctx.now
        answer = provider_read(row)
        await uow.commit()
        return answer


async def _provider(uow: UnitOfWork, provider_id: str) -> ProviderRow:
    row = await uow.repo(ProviderRepository).get(provider_id)
    if row is None:
        raise NotFound("provider")
    return row


def _require_region(ctx: IntakeContext, row: ProviderRow) -> None:
    if not ctx.principal.in_region(row.jurisdiction):
        raise Forbidden("officers manage providers of their own regions only")
