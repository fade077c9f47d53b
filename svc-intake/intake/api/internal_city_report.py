"""Internal route for svc-reporting (service principal only; the gateway routes no /internal)."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import UowDep
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep
from intake.schemas.city_report import CityReportBeds, CityReportQuery
from intake.service import city_report

router = APIRouter(prefix="/internal/v1/city-report", tags=["internal"])


@router.post("/beds", responses=problem_responses(401, 403, 422))
async def beds_for_city_report(
    body: CityReportQuery, uow: UowDep, ctx: IntakeContextDep
) -> CityReportBeds:
    return await city_report.beds_for_city_report(uow=uow, ctx=ctx, query=body)
