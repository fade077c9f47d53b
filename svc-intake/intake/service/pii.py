"""Full reads of ID and phone numbers: permitted roles only, each one audited (who, what, when,
why) in the same transaction as the read."""

from __future__ import annotations

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import Forbidden, NotFound
from chassis.principal import Role
from intake.domain.lifecycle import BedStatus
from intake.domain.tenancy import can_view
from intake.repository import SqlRepository
from intake.schemas.applications import PiiAccessRead, RevealIn, RevealPurpose, RevealRead
from intake.service.applications import visible_application
from intake.service.bed_alarms import require_assignee_of_open_alarm
from intake.service.beds import visible_bed
from intake.service.context import (
    CAREGIVER_PHONE,
    EMERGENCY_PHONE,
    ID_NUMBER,
    SOCIAL_SECURITY_NO,
    IntakeContext,
)
from intake.tables import ApplicationRow, BedRow, PiiAccessRow

MAY_REVEAL = (Role.OFFICER, Role.PROVIDER_ADMIN)
# A caregiver answering an alarm may read the emergency contact's phone, nothing else, only for
# a live bed of their own provider and only while an open alarm of that bed is assigned to them
# (issue 10 item 15; intake's projection of iot.alarms.v1, `service/bed_alarms.py`).
EMERGENCY_FIELD = "emergency_phone"
LIVE_BEDS = frozenset(
    {BedStatus.PREPARING, BedStatus.ESTABLISHED, BedStatus.ACCEPTED, BedStatus.SUSPENDED}
)
CAREGIVER_ONLY = (
    "caregivers may read only the emergency contact's phone (purpose emergency_contact)"
)


async def reveal(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str, cmd: RevealIn
) -> RevealRead:
    """One ID or phone number in full, for officers and provider admins; the read is audited."""
    async with uow:
        repo = uow.repo(SqlRepository)
        row, elder = await visible_application(repo, ctx, application_id)
        if ctx.principal.role is Role.CAREGIVER:
            if cmd.field != EMERGENCY_FIELD or cmd.purpose is not RevealPurpose.EMERGENCY_CONTACT:
                raise Forbidden(CAREGIVER_ONLY, required_roles=MAY_REVEAL)
            bed = await repo.bed_for_application(row.id)
            _require_live_bed_of_caregiver(ctx, bed)
            if bed is not None:
                await require_assignee_of_open_alarm(uow, bed, ctx.principal.sub)
        else:
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
        _audit(repo, ctx, row, cmd.field, cmd.purpose)
        await uow.commit()
        return RevealRead(field=cmd.field, value=value, audited_at=ctx.now)


async def reveal_emergency_contact(
    *, uow: UnitOfWork, ctx: IntakeContext, bed_id: str
) -> RevealRead:
    """The emergency contact's phone of a bed during an alarm: for the caregiver an open alarm of
    the bed is assigned to, and the provider's admins; audited with purpose `emergency_contact`."""
    async with uow:
        repo = uow.repo(SqlRepository)
        bed = await visible_bed(repo, ctx, bed_id)
        require_role(ctx.principal, Role.CAREGIVER, Role.PROVIDER_ADMIN)
        _require_live_bed_of_caregiver(ctx, bed)
        if ctx.principal.role is Role.CAREGIVER:
            await require_assignee_of_open_alarm(uow, bed, ctx.principal.sub)
        row = await repo.application(bed.application_id)
        if row is None or not row.emergency_phone_sealed:
            raise NotFound(EMERGENCY_FIELD)
        value = ctx.pii.open(row.emergency_phone_sealed, context=EMERGENCY_PHONE)
        _audit(repo, ctx, row, EMERGENCY_FIELD, RevealPurpose.EMERGENCY_CONTACT)
        await uow.commit()
        return RevealRead(field=EMERGENCY_FIELD, value=value, audited_at=ctx.now)


def _require_live_bed_of_caregiver(ctx: IntakeContext, bed: BedRow | None) -> None:
    if (
        bed is None
        or bed.provider_id != ctx.principal.provider_id
        or BedStatus(bed.status) not in LIVE_BEDS
    ):
        raise Forbidden(
            "the emergency contact is read only for a live bed of the caller's provider",
            required_roles=MAY_REVEAL,
        )


def _audit(
    repo: SqlRepository,
    ctx: IntakeContext,
    row: ApplicationRow,
    field: str,
    purpose: RevealPurpose,
) -> None:
    repo.add(
        PiiAccessRow(
            actor_sub=ctx.principal.sub,
            actor_role=ctx.principal.role.value,
            actor_provider_id=ctx.principal.provider_id,
            elder_id=row.elder_id,
            application_id=row.id,
            field=field,
            purpose=purpose.value,
            request_id=ctx.request_id,
            accessed_at=ctx.now,
        )
    )


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
