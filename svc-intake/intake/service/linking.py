"""Claiming an application keyed in by provider staff (offline channel): staff get a one-time
code (shown once, stored as a keyed hash, expiring, single use) and hand it to the elder or
family, whose account then owns the application and its bed (`applicant_sub`)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from chassis.access import require_role
from chassis.db import UnitOfWork
from chassis.errors import Conflict, Unprocessable
from chassis.principal import Role
from intake.repository import SqlRepository
from intake.schemas.applications import ApplicationRead, LinkCodeRead, LinkIn
from intake.service.applications import application_answer, visible_application
from intake.service.context import IntakeContext
from intake.service.events import emit_bed_event

LINK_CODE = "application.link_code"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
CODE_LENGTH = 10  # 50 bits; the gateway rate-limits, codes expire and work once
CODE_LIFETIME = timedelta(days=7)
BAD_CODE = "unknown, used or expired code"


async def issue_link_code(
    *, uow: UnitOfWork, ctx: IntakeContext, application_id: str
) -> LinkCodeRead:
    """A new one-time code for an application no account owns yet (replaces an earlier one)."""
    async with uow:
        row, _elder = await visible_application(uow.repo(SqlRepository), ctx, application_id)
        require_role(ctx.principal, Role.PROVIDER_ADMIN, Role.CAREGIVER, Role.OFFICER)
        if row.applicant_sub:
            raise Conflict("this application is already linked to an elder or family account")
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        row.link_code_hash = ctx.pii.index(code, context=LINK_CODE)
        row.link_code_expires_at = ctx.now + CODE_LIFETIME
        row.updated_at = ctx.now
        answer = LinkCodeRead(code=code, expires_at=row.link_code_expires_at)
        await uow.commit()
        return answer


async def link_account(*, uow: UnitOfWork, ctx: IntakeContext, cmd: LinkIn) -> ApplicationRead:
    """The elder or family redeem the code: the application and its bed become theirs."""
    require_role(ctx.principal, Role.ELDER, Role.FAMILY)
    async with uow:
        repo = uow.repo(SqlRepository)
        row = await repo.application_by_link_code(ctx.pii.index(cmd.code, context=LINK_CODE))
        expires = row.link_code_expires_at if row else None
        if row is None or expires is None or expires <= ctx.now or row.applicant_sub:
            raise Unprocessable([("body.code", BAD_CODE)])
        row.applicant_sub = ctx.principal.sub
        row.link_code_hash = row.link_code_expires_at = None
        row.updated_at = ctx.now
        bed = await repo.bed_for_application(row.id)
        if bed is not None:
            bed.applicant_sub = ctx.principal.sub
            bed.updated_at = ctx.now
            contract = await repo.latest_contract(bed.id)
            if contract is not None:  # other services know the bed: tell them who owns it
                await emit_bed_event(uow, bed, contract, "linked", now=ctx.now)
        elder = await repo.elder(row.elder_id)
        assert elder is not None
        answer = await application_answer(uow, ctx, row, elder)
        await uow.commit()
        return answer
