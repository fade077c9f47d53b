"""Report delivery routes: state per provider and day, re-run, correction (ops; provider admins
see and correct their own)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from reporting.schemas import (
    ProviderId,
    ProviderProfileRead,
    ProviderProfileUpdate,
    ReportRerun,
    ReportSummary,
    RerunRead,
)
from reporting.service import reports

router = APIRouter(prefix="/v1/city-reports", tags=["city-reports"])


@router.get("", responses=problem_responses(401, 403, 404, 422))
async def list_reports(
    uow: UowDep,
    ctx: ContextDep,
    provider_id: ProviderId | None = None,
    first: date | None = None,
    last: date | None = None,
) -> list[ReportSummary]:
    return await reports.list_reports(
        uow=uow, ctx=ctx, provider_id=provider_id, first=first, last=last
    )


@router.post("/rerun", responses=problem_responses(401, 403, 422))
async def rerun(body: ReportRerun, uow: UowDep, ctx: ContextDep) -> RerunRead:
    return await reports.rerun(uow=uow, ctx=ctx, cmd=body)


@router.post(
    "/{provider_id}/{day}/corrections",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def correct(provider_id: str, day: date, uow: UowDep, ctx: ContextDep) -> ReportSummary:
    return await reports.correct(uow=uow, ctx=ctx, provider_id=provider_id, day=day)


@router.put("/providers/{provider_id}", responses=problem_responses(401, 403, 422))
async def put_provider_profile(
    provider_id: str, body: ProviderProfileUpdate, uow: UowDep, ctx: ContextDep
) -> ProviderProfileRead:
    return await reports.put_profile(uow=uow, ctx=ctx, provider_id=provider_id, cmd=body)
