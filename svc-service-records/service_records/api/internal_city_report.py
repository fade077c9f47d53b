"""Internal route for svc-reporting (service principal only; the gateway routes no /internal)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from service_records.service import city_report

router = APIRouter(prefix="/internal/v1/city-report", tags=["internal"])


@router.get("/visits", responses=problem_responses(401, 403, 422))
async def visits_for_city_report(
    uow: UowDep,
    ctx: ContextDep,
    provider_id: Annotated[str, Query(min_length=1, max_length=64)],
    day: date,
) -> city_report.CityReportVisits:
    return await city_report.visits_for_city_report(
        uow=uow, ctx=ctx, provider_id=provider_id, day=day
    )
