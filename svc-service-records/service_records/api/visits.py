"""Visit routes: check-in/out, reads, history, exceptions, corrections, confirmation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, status

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.api.deps import ProbeDep, ToleranceDep
from service_records.schemas.visits import (
    ExceptionResolve,
    VisitCheckOut,
    VisitConfirm,
    VisitCorrect,
    VisitCreate,
    VisitDispute,
    VisitRead,
    VisitSummary,
    VisitVersionRead,
    VisitVoid,
)
from service_records.service import visit_review, visits

router = APIRouter(prefix="/v1/visits", tags=["visits"])


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 404, 409, 422)
)
async def check_in(
    body: VisitCreate,
    uow: UowDep,
    ctx: ContextDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> VisitRead:
    return await visits.check_in(uow=uow, ctx=ctx, cmd=body, idempotency_key=idempotency_key)


@router.get("", responses=problem_responses(401, 403, 422))
async def list_visits(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    bed_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> Page[VisitSummary]:
    return await visits.list_visits(
        uow=uow,
        ctx=ctx,
        bed_id=bed_id,
        status=status,
        day_from=day_from,
        day_to=day_to,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{visit_id}", responses=problem_responses(401, 403, 404))
async def get_visit(visit_id: str, uow: UowDep, ctx: ContextDep) -> VisitRead:
    return await visits.get_visit(uow=uow, ctx=ctx, visit_id=visit_id)


@router.get("/{visit_id}/versions", responses=problem_responses(401, 403, 404))
async def list_versions(visit_id: str, uow: UowDep, ctx: ContextDep) -> list[VisitVersionRead]:
    return await visits.list_versions(uow=uow, ctx=ctx, visit_id=visit_id)


@router.post("/{visit_id}/check-out", responses=problem_responses(401, 403, 404, 409, 422))
async def check_out(
    visit_id: str,
    body: VisitCheckOut,
    uow: UowDep,
    ctx: ContextDep,
    probe: ProbeDep,
    tolerance: ToleranceDep,
) -> VisitRead:
    return await visits.check_out(
        uow=uow, ctx=ctx, visit_id=visit_id, cmd=body, probe=probe, tolerance_m=tolerance
    )


@router.post(
    "/{visit_id}/exceptions/{exception_id}/resolve",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def resolve_exception(
    visit_id: str, exception_id: int, body: ExceptionResolve, uow: UowDep, ctx: ContextDep
) -> VisitRead:
    return await visit_review.resolve_exception(
        uow=uow, ctx=ctx, visit_id=visit_id, exception_id=exception_id, cmd=body
    )


@router.post("/{visit_id}/correct", responses=problem_responses(401, 403, 404, 409, 422))
async def correct_visit(
    visit_id: str, body: VisitCorrect, uow: UowDep, ctx: ContextDep, tolerance: ToleranceDep
) -> VisitRead:
    return await visit_review.correct_visit(
        uow=uow, ctx=ctx, visit_id=visit_id, cmd=body, tolerance_m=tolerance
    )


@router.post("/{visit_id}/void", responses=problem_responses(401, 403, 404, 409, 422))
async def void_visit(visit_id: str, body: VisitVoid, uow: UowDep, ctx: ContextDep) -> VisitRead:
    return await visit_review.void_visit(uow=uow, ctx=ctx, visit_id=visit_id, cmd=body)


@router.post("/{visit_id}/confirm", responses=problem_responses(401, 403, 404, 409, 422))
async def confirm_visit(
    visit_id: str, body: VisitConfirm, uow: UowDep, ctx: ContextDep
) -> VisitRead:
    return await visit_review.confirm_visit(uow=uow, ctx=ctx, visit_id=visit_id, cmd=body)


@router.post("/{visit_id}/dispute", responses=problem_responses(401, 403, 404, 409, 422))
async def dispute_visit(
    visit_id: str, body: VisitDispute, uow: UowDep, ctx: ContextDep
) -> VisitRead:
    return await visit_review.dispute_visit(uow=uow, ctx=ctx, visit_id=visit_id, cmd=body)
