"""Consent routes of a bed (000 §三(一), §三(三); 004 §三(二)): record, withdraw, read."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, refuse_unknown_query
from intake.schemas.consents import ConsentCreate, ConsentRead, ConsentWithdraw
from intake.service import consents

router = APIRouter(prefix="/v1/beds", tags=["consents"])

WRITE = problem_responses(401, 403, 404, 409, 422)


@router.post("/{bed_id}/consents", status_code=status.HTTP_201_CREATED, responses=WRITE)
async def record_consent(
    bed_id: str, body: ConsentCreate, uow: UowDep, ctx: IntakeContextDep
) -> ConsentRead:
    return await consents.record_consent(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.get("/{bed_id}/consents", responses=problem_responses(401, 404, 422))
async def list_consents(
    bed_id: str, request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[ConsentRead]:
    refuse_unknown_query(request, frozenset())
    return await consents.list_consents(
        uow=uow, ctx=ctx, bed_id=bed_id, limit=page.limit, offset=page.offset
    )


@router.post("/{bed_id}/consents/{consent_id}/withdraw", responses=WRITE)
async def withdraw_consent(
    bed_id: str, consent_id: str, body: ConsentWithdraw, uow: UowDep, ctx: IntakeContextDep
) -> ConsentRead:
    return await consents.withdraw_consent(
        uow=uow, ctx=ctx, bed_id=bed_id, consent_id=consent_id, cmd=body
    )
