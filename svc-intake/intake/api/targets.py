"""`GET /v1/bed-targets`: bed targets and pilot periods with progress (officers, ops)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, JurisdictionQuery, refuse_unknown_query
from intake.schemas.targets import BedTargetRead
from intake.service import targets

router = APIRouter(tags=["targets"])


@router.get("/v1/bed-targets", responses=problem_responses(401, 403, 422))
async def bed_targets(
    request: Request,
    uow: UowDep,
    ctx: IntakeContextDep,
    page: PageDep,
    jurisdiction: JurisdictionQuery = None,
) -> Page[BedTargetRead]:
    refuse_unknown_query(request, frozenset({"jurisdiction"}))
    return await targets.bed_target_progress(
        uow=uow, ctx=ctx, jurisdiction=jurisdiction, limit=page.limit, offset=page.offset
    )
