"""Consents (FHIR Consent) and the disclosure log: recorded by the bed's provider staff (signed
form) or by the elder or family themselves (in app); withdrawn by them or by the provider at once;
readable by the elder/family, the provider and officers of the region."""

from __future__ import annotations

import uuid

from chassis.access import require_role
from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from chassis.errors import IllegalTransition, NotFound, Unprocessable
from chassis.principal import Principal, Role
from referral.domain.consent import ACTIVE, WITHDRAWN, Method
from referral.repository import BedRepository, ConsentRepository
from referral.schemas.consents import ConsentCreate, ConsentRead, DisclosureRead
from referral.tables import BedRow, ConsentRow

PEOPLE = (Role.ELDER, Role.FAMILY)


def can_see_bed(bed: BedRow, principal: Principal) -> bool:
    role = principal.role
    if role in (Role.PROVIDER_ADMIN, Role.CAREGIVER):
        return principal.provider_id == bed.provider_id
    if role is Role.OFFICER:
        return principal.in_region(bed.region_code)
    if role in PEOPLE:
        return bed.applicant_sub is not None and bed.applicant_sub == principal.sub
    return False


async def visible_bed(uow: UnitOfWork, principal: Principal, bed_id: str) -> BedRow:
    bed = await uow.repo(BedRepository).get(bed_id)
    if bed is None or not can_see_bed(bed, principal):
        raise NotFound("bed")
    return bed


async def record_consent(
    *, uow: UnitOfWork, ctx: RequestContext, cmd: ConsentCreate
) -> ConsentRead:
    """Record a consent: staff with the signed form's reference, or the elder/family in app."""
    if cmd.valid_until <= cmd.valid_from:
        raise Unprocessable([("body.valid_until", "must lie after valid_from")])
    if cmd.method is Method.SIGNED_FORM and not cmd.form_reference:
        raise Unprocessable([("body.form_reference", "required for a signed form")])
    async with uow:
        bed = await visible_bed(uow, ctx.principal, cmd.bed_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.ELDER, Role.FAMILY)
        if ctx.principal.role in PEOPLE and cmd.method is not Method.IN_APP:
            raise Unprocessable([("body.method", "the elder or family consent in_app")])
        row = ConsentRow(
            id=str(uuid.uuid4()),
            elder_id=bed.elder_id,
            bed_id=bed.bed_id,
            provider_id=bed.provider_id,
            region_code=bed.region_code,
            grantor=cmd.grantor.value,
            grantor_name_masked=cmd.grantor_name_masked,
            grantor_relationship=cmd.grantor_relationship,
            receiver_id=cmd.receiver_id,
            purpose=cmd.purpose.value,
            categories=sorted(c.value for c in cmd.categories),
            valid_from=cmd.valid_from,
            valid_until=cmd.valid_until,
            method=cmd.method.value,
            form_reference=cmd.form_reference,
            status=ACTIVE,
            recorded_by=ctx.principal.sub,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        uow.repo(ConsentRepository).add(row)
        answer = consent_read(row)
        await uow.commit()
        return answer


async def withdraw_consent(*, uow: UnitOfWork, ctx: RequestContext, consent_id: str) -> ConsentRead:
    """Withdraw at once: the next archive request under it is refused."""
    async with uow:
        consent = await visible_consent(uow, ctx.principal, consent_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.ELDER, Role.FAMILY)
        if consent.status != ACTIVE:
            raise IllegalTransition(
                state=consent.status, action="withdraw", allowed_actions=[], entity="consent"
            )
        consent.status = WITHDRAWN
        consent.withdrawn_at = consent.updated_at = ctx.now
        consent.withdrawn_by = ctx.principal.sub
        answer = consent_read(consent)
        await uow.commit()
        return answer


async def get_consent(*, uow: UnitOfWork, ctx: RequestContext, consent_id: str) -> ConsentRead:
    async with uow:
        return consent_read(await visible_consent(uow, ctx.principal, consent_id))


async def consents_of_bed(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str
) -> list[ConsentRead]:
    async with uow:
        bed = await visible_bed(uow, ctx.principal, bed_id)
        return [consent_read(c) for c in await uow.repo(ConsentRepository).of_elder(bed.elder_id)]


async def disclosures_of_bed(
    *, uow: UnitOfWork, ctx: RequestContext, bed_id: str, limit: int, offset: int
) -> Page[DisclosureRead]:
    """Who received what of the elder's archive, when, under which consent."""
    async with uow:
        bed = await visible_bed(uow, ctx.principal, bed_id)
        rows, total = await uow.repo(ConsentRepository).disclosures(
            bed.elder_id, limit=limit, offset=offset
        )
        items = [
            DisclosureRead(
                id=r.id,
                referral_id=r.referral_id,
                consent_id=r.consent_id,
                receiver_id=r.receiver_id,
                accessed_by=r.accessed_by,
                categories=list(r.categories),
                at=r.at,
            )
            for r in rows
        ]
        return Page(items=items, total=total, limit=limit, offset=offset)


async def visible_consent(uow: UnitOfWork, principal: Principal, consent_id: str) -> ConsentRow:
    """The consent to its elder's people, provider, officers and the receiving partner; 404 else."""
    consent = await uow.repo(ConsentRepository).get(consent_id)
    if consent is None:
        raise NotFound("consent")
    if principal.role is Role.HOSPITAL and principal.sub == consent.receiver_id:
        return consent
    bed = await uow.repo(BedRepository).get(consent.bed_id)
    if bed is None or not can_see_bed(bed, principal):
        raise NotFound("consent")
    return consent


def consent_read(row: ConsentRow) -> ConsentRead:
    return ConsentRead(
        id=row.id,
        elder_id=row.elder_id,
        bed_id=row.bed_id,
        grantor=row.grantor,
        grantor_name_masked=row.grantor_name_masked,
        grantor_relationship=row.grantor_relationship,
        receiver_id=row.receiver_id,
        purpose=row.purpose,
        categories=list(row.categories),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        method=row.method,
        form_reference=row.form_reference,
        status=row.status,
        withdrawn_at=row.withdrawn_at,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
    )
