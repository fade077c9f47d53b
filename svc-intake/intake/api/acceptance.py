"""Acceptance routes (验收, 001 §四(五)): the provider's application, the joint inspection, the
officer's return or acceptance, and the bed's applications."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, refuse_unknown_query
from intake.schemas.acceptance import (
    AcceptanceApply,
    AcceptanceRead,
    AcceptIn,
    InspectionIn,
    ReturnIn,
)
from intake.schemas.beds import BedRead
from intake.service import acceptance

router = APIRouter(prefix="/v1/beds", tags=["acceptance"])

STEP = problem_responses(401, 403, 404, 409, 422)


@router.post("/{bed_id}/acceptance", status_code=status.HTTP_201_CREATED, responses=STEP)
async def apply_for_acceptance(
    bed_id: str, body: AcceptanceApply, uow: UowDep, ctx: IntakeContextDep
) -> AcceptanceRead:
    return await acceptance.apply_for_acceptance(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.get("/{bed_id}/acceptance", responses=problem_responses(401, 404, 422))
async def list_acceptances(
    bed_id: str, request: Request, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[AcceptanceRead]:
    refuse_unknown_query(request, frozenset())
    return await acceptance.list_acceptances(
        uow=uow, ctx=ctx, bed_id=bed_id, limit=page.limit, offset=page.offset
    )


@router.post("/{bed_id}/acceptance/inspection", responses=STEP)
async def record_inspection(
    bed_id: str, body: InspectionIn, uow: UowDep, ctx: IntakeContextDep
) -> AcceptanceRead:
    return await acceptance.record_inspection(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/acceptance/return", responses=STEP)
async def return_acceptance(
    bed_id: str, body: ReturnIn, uow: UowDep, ctx: IntakeContextDep
) -> AcceptanceRead:
    return await acceptance.return_acceptance(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post("/{bed_id}/accept", responses=STEP)
async def accept_bed(bed_id: str, body: AcceptIn, uow: UowDep, ctx: IntakeContextDep) -> BedRead:
    return await acceptance.accept_bed(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
