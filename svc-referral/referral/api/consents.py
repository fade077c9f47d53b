"""Consent routes (FHIR Consent semantics) and the disclosure log of a bed's elder."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from referral.schemas.consents import ConsentCreate, ConsentRead, DisclosureRead
from referral.service import consents

router = APIRouter(tags=["consents"])


@router.post("/v1/consents", status_code=201, responses=problem_responses(403, 404))
async def record_consent(body: ConsentCreate, uow: UowDep, ctx: ContextDep) -> ConsentRead:
    return await consents.record_consent(uow=uow, ctx=ctx, cmd=body)


@router.get("/v1/consents/{consent_id}", responses=problem_responses(404))
async def get_consent(consent_id: str, uow: UowDep, ctx: ContextDep) -> ConsentRead:
    return await consents.get_consent(uow=uow, ctx=ctx, consent_id=consent_id)


@router.post("/v1/consents/{consent_id}/withdraw", responses=problem_responses(403, 404, 409))
async def withdraw_consent(consent_id: str, uow: UowDep, ctx: ContextDep) -> ConsentRead:
    return await consents.withdraw_consent(uow=uow, ctx=ctx, consent_id=consent_id)


@router.get("/v1/referral-beds/{bed_id}/consents", responses=problem_responses(404))
async def consents_of_bed(bed_id: str, uow: UowDep, ctx: ContextDep) -> list[ConsentRead]:
    return await consents.consents_of_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.get("/v1/referral-beds/{bed_id}/disclosures", responses=problem_responses(404))
async def disclosures_of_bed(
    bed_id: str, uow: UowDep, ctx: ContextDep, page: PageDep
) -> Page[DisclosureRead]:
    return await consents.disclosures_of_bed(
        uow=uow, ctx=ctx, bed_id=bed_id, limit=page.limit, offset=page.offset
    )
