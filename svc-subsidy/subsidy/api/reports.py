"""Reports: reconciliation with anomalies, a provider's statement, the region's month."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from subsidy.api.deps import ProfilesDep
from subsidy.schemas.reports import ReconciliationRead
from subsidy.service import reports

router = APIRouter(prefix="/v1/subsidy-reports", tags=["reports"])

PERIOD = Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
JURISDICTION = Query(pattern=r"^\d{6}$")
FILE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "CSV or a printable PDF",
    }
}


@router.get("/reconciliation", responses=problem_responses(401, 403, 422))
async def reconciliation(
    uow: UowDep,
    ctx: ContextDep,
    profiles: ProfilesDep,
    jurisdiction: Annotated[str, JURISDICTION],
    period: Annotated[str, PERIOD],
) -> ReconciliationRead:
    return await reports.reconcile(uow=uow, ctx=ctx, profile=profiles(jurisdiction), period=period)


@router.get(
    "/statements/{settlement_id}",
    response_class=Response,
    responses={**FILE_ANSWER, **problem_responses(401, 403, 404, 422)},
)
async def statement(
    settlement_id: str,
    uow: UowDep,
    ctx: ContextDep,
    format: Annotated[Literal["csv", "pdf"], Query()] = "pdf",
) -> Response:
    content, media = await reports.statement(
        uow=uow, ctx=ctx, settlement_id=settlement_id, fmt=format
    )
    return Response(content=content, media_type=media)


@router.get(
    "/region",
    response_class=Response,
    responses={**FILE_ANSWER, **problem_responses(401, 403, 422)},
)
async def region_report(
    uow: UowDep,
    ctx: ContextDep,
    profiles: ProfilesDep,
    jurisdiction: Annotated[str, JURISDICTION],
    period: Annotated[str, PERIOD],
    format: Annotated[Literal["csv", "pdf"], Query()] = "pdf",
) -> Response:
    content, media = await reports.region_report(
        uow=uow, ctx=ctx, profile=profiles(jurisdiction), period=period, fmt=format
    )
    return Response(content=content, media_type=media)
