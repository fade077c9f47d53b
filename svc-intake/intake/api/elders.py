"""Elder routes: the full-read audit of an elder's numbers."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep
from intake.schemas.applications import PiiAccessRead
from intake.service import pii

router = APIRouter(prefix="/v1/elders", tags=["elders"])


@router.get("/{elder_id}/pii-audit", responses=problem_responses(401, 403, 404, 422))
async def pii_audit(
    elder_id: str, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[PiiAccessRead]:
    return await pii.pii_audit(
        uow=uow, ctx=ctx, elder_id=elder_id, limit=page.limit, offset=page.offset
    )
