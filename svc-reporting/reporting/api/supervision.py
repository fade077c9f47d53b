"""The supervising officer's view, as JSON and as CSV (read-only; officers: their regions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from reporting.schemas import SupervisionRead
from reporting.service import supervision

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])
RegionQuery = Annotated[str | None, Query(pattern=r"^\d{2,12}$")]


@router.get("/providers", responses=problem_responses(401, 403, 422))
async def by_region_and_provider(
    uow: UowDep, ctx: ContextDep, first: date, last: date, region_code: RegionQuery = None
) -> SupervisionRead:
    return await supervision.supervision(
        uow=uow, ctx=ctx, first=first, last=last, region_code=region_code
    )


@router.get(
    "/providers.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 422)},
)
async def by_region_and_provider_csv(
    uow: UowDep, ctx: ContextDep, first: date, last: date, region_code: RegionQuery = None
) -> Response:
    read = await supervision.supervision(
        uow=uow, ctx=ctx, first=first, last=last, region_code=region_code
    )
    return Response(supervision.as_csv(read), media_type="text/csv; charset=utf-8")
