"""Elder routes: search by ID number or name (staff, officers) and the full-read audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from chassis.api import PageDep, UowDep
from chassis.dto import Page
from chassis.errors import Unprocessable
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep, refuse_unknown_query
from intake.schemas.applications import ApplicationSummary, PiiAccessRead
from intake.service import elders, pii

router = APIRouter(prefix="/v1/elders", tags=["elders"])

SEARCH_FILTERS = frozenset({"id_number", "name"})


@router.get("/search", responses=problem_responses(401, 403, 422))
async def search_elders(
    request: Request,
    uow: UowDep,
    ctx: IntakeContextDep,
    page: PageDep,
    id_number: Annotated[str | None, Query(pattern=r"^\d{17}[\dXx]$")] = None,
    name: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> Page[ApplicationSummary]:
    refuse_unknown_query(request, SEARCH_FILTERS)
    if (id_number is None) == (name is None):
        raise Unprocessable([("query.id_number", "give exactly one of id_number or name")])
    return await elders.search_elders(
        uow=uow,
        ctx=ctx,
        id_number=id_number,
        name=name,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{elder_id}/pii-audit", responses=problem_responses(401, 403, 404, 422))
async def pii_audit(
    elder_id: str, uow: UowDep, ctx: IntakeContextDep, page: PageDep
) -> Page[PiiAccessRead]:
    return await pii.pii_audit(
        uow=uow, ctx=ctx, elder_id=elder_id, limit=page.limit, offset=page.offset
    )
