"""Pre-filled applications from partner hospitals' discharge referrals (hospital → home bed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, refuse_unknown_query
from intake.schemas.discharge_applications import DischargeApplicationRead
from intake.service import discharge_applications

router = APIRouter(prefix="/v1/discharge-applications", tags=["applications"])


@router.get("", responses=problem_responses(401, 403, 422))
async def list_discharge_applications(
    request: Request,
    uow: UowDep,
    ctx: IntakeContextDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=8, description="open | closed")] = None,
) -> Page[DischargeApplicationRead]:
    refuse_unknown_query(request, frozenset({"status"}))
    return await discharge_applications.list_discharge_applications(
        uow=uow, ctx=ctx, status=status, limit=page.limit, offset=page.offset
    )
