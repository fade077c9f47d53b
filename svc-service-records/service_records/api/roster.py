"""Roster routes: the beds as service records knows them, coordinates, assignees, trainings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.schemas.roster import BedAssigneesSet, BedLocationSet, BedRead, BedSummary
from service_records.schemas.workers import TrainingCreate, TrainingRead
from service_records.service import roster, workers

router = APIRouter(prefix="/v1/roster", tags=["roster"])


@router.get("", responses=problem_responses(401, 403, 422))
async def list_beds(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=24)] = None,
) -> Page[BedSummary]:
    return await roster.list_beds(
        uow=uow, ctx=ctx, status=status, limit=page.limit, offset=page.offset
    )


@router.get("/{bed_id}", responses=problem_responses(401, 403, 404))
async def get_bed(bed_id: str, uow: UowDep, ctx: ContextDep) -> BedRead:
    return await roster.get_bed(uow=uow, ctx=ctx, bed_id=bed_id)


@router.put("/{bed_id}/location", responses=problem_responses(401, 403, 404, 422))
async def set_location(bed_id: str, body: BedLocationSet, uow: UowDep, ctx: ContextDep) -> BedRead:
    return await roster.set_location(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.put("/{bed_id}/assignees", responses=problem_responses(401, 403, 404, 422))
async def set_assignees(
    bed_id: str, body: BedAssigneesSet, uow: UowDep, ctx: ContextDep
) -> BedRead:
    return await roster.set_assignees(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.post(
    "/{bed_id}/trainings",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
async def record_training(
    bed_id: str, body: TrainingCreate, uow: UowDep, ctx: ContextDep
) -> TrainingRead:
    return await workers.record_training(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.get("/{bed_id}/trainings", responses=problem_responses(401, 403, 404))
async def list_trainings(bed_id: str, uow: UowDep, ctx: ContextDep) -> list[TrainingRead]:
    return await workers.list_trainings(uow=uow, ctx=ctx, bed_id=bed_id)
