"""Minimums routes: the calculator and the live views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from service_records.schemas.minimums import (
    PERIOD,
    BedMinimumsRead,
    MinimumsCheck,
    MinimumsCheckRead,
)
from service_records.service import minimums

router = APIRouter(prefix="/v1/minimums", tags=["minimums"])
PeriodQuery = Annotated[str, Query(pattern=PERIOD, description="YYYY-MM")]


@router.post("/check", response_model_exclude_none=True, responses=problem_responses(401, 403, 422))
async def check_minimums(body: MinimumsCheck, ctx: ContextDep) -> MinimumsCheckRead:
    return minimums.check_minimums(ctx=ctx, cmd=body)


@router.get(
    "/beds/{bed_id}",
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 404, 422),
)
async def bed_minimums(
    bed_id: str, period: PeriodQuery, uow: UowDep, ctx: ContextDep
) -> BedMinimumsRead:
    return await minimums.bed_minimums(uow=uow, ctx=ctx, bed_id=bed_id, period=period)


@router.get(
    "/providers/{provider_id}",
    response_model_exclude_none=True,
    responses=problem_responses(401, 403, 404, 422),
)
async def provider_minimums(
    provider_id: str, period: PeriodQuery, uow: UowDep, ctx: ContextDep
) -> list[BedMinimumsRead]:
    return await minimums.provider_minimums(
        uow=uow, ctx=ctx, provider_id=provider_id, period=period
    )
