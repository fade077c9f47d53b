"""Full reads of ID and phone numbers: permitted roles only, each one audited (who, what, when,
why) in the same transaction as the read."""

from __future__ import annotations

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import NotFound
from chassis.principal import Role
from intake.domain.tenancy import can_view
from intake.repository import SqlRepository
from intake.schemas.applications import PiiAccessRead, RevealIn, RevealRead
from intake.service.applications import visible_application
from intake.service.context import (
    CAREGIVER_PHONE,
    EMERGENCY_PHONE,
    ID_NUMBER,
    SOCIAL_SECURITY_NO,
    IntakeContext,
)
from intake.tables import PiiAccessRow

MAY_REVEAL = (Role.OFFICER, Role.PROVIDER_ADMIN)


async def reveal(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: RevealIn
) -> RevealRead:
    """One ID or phone number in full, for officers and provider admins; the read is audited."""
    async with uow:
        repo = uow.repo(SqlRepository)
        row, elder = await visible_application(repo, ctx, application_id)
        require_role(ctx.principal, *MAY_REVEAL)
        token_by_field = {
            "id_number": (elder.id_number_sealed, ID_NUMBER),
            "caregiver_phone": (row.caregiver_phone_sealed, CAREGIVER_PHONE),
            "emergency_phone": (row.emergency_phone_sealed, EMERGENCY_PHONE),
            "social_security_no": (row.form.get("social_security_no_sealed"), SOCIAL_SECURITY_NO),
        }
        token, context = token_by_field[cmd.field]
        if not token:
            raise NotFound(cmd.field)
        value = ctx.pii.open(token, context=context)
        repo.add(
            PiiAccessRow(
                actor_sub=ctx.principal.sub,
                actor_role=ctx.principal.role.value,
                actor_provider_id=ctx.principal.provider_id,
                elder_id=elder.id,
                application_id=row.id,
                field=cmd.field,
                purpose=cmd.purpose.value,
                request_id=ctx.request_id,
                accessed_at=ctx.now,
            )
        )
        await uow.commit()
        return RevealRead(field=cmd.field, value=value, audited_at=ctx.now)


async def pii_audit(
    *, uow: UnitOfWork, ctx: IntakeContext, elder_id: str, limit: int, offset: int
) -> Page[PiiAccessRead]:
    """The elder's full-read audit, newest first: officers of the elder's regions, and the elder
    or family whose account owns one of the elder's applications (PIPL art. 45, right to know)."""
    async with uow:
        repo = uow.repo(SqlRepository)
        applications = await repo.applications_of_elder(elder_id)
        if not any(
            can_view(
                ctx.principal,
                applicant_sub=a.applicant_sub,
                provider_id=a.provider_id,
                region_code=a.region_code,
            )
            for a in applications
            if a.duplicate_of is None  # a hidden duplicate grants no access to the elder
        ):
            raise NotFound("elder")
        require_role(ctx.principal, Role.OFFICER, Role.ELDER, Role.FAMILY)
        rows, total = await repo.pii_reads(elder_id, limit=limit, offset=offset)
        return Page[PiiAccessRead](
            items=[
                PiiAccessRead(
                    field=r.field,
                    purpose=r.purpose,
                    actor_sub=r.actor_sub,
                    actor_role=r.actor_role,
                    actor_provider_id=r.actor_provider_id,
                    application_id=r.application_id,
                    accessed_at=r.accessed_at,
                )
                for r in rows
            ],
            total=total,
            limit=limit,
            offset=offset,
        )
