"""Task routes: today's tasks, assignment, follow-up completion; a bed's plan items."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.schemas.plan import (
    PlanItemCreate,
    PlanItemRead,
    TaskAssign,
    TaskComplete,
    TaskRead,
)
from service_records.service import plan

router = APIRouter(tags=["plan"])


@router.get("/v1/tasks", responses=problem_responses(401, 403, 422))
async def list_tasks(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    due: Annotated[str | None, Query(max_length=10, description="today or YYYY-MM-DD")] = None,
    bed_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[TaskRead]:
    return await plan.list_tasks(
        uow=uow,
        ctx=ctx,
        due=due,
        bed_id=bed_id,
        status=status,
        kind=kind,
        limit=page.limit,
        offset=page.offset,
    )


@router.put("/v1/tasks/{task_id}/assignee", responses=problem_responses(401, 403, 404, 409, 422))
async def assign_task(task_id: str, body: TaskAssign, uow: UowDep, ctx: ContextDep) -> TaskRead:
    return await plan.assign_task(uow=uow, ctx=ctx, task_id=task_id, cmd=body)


@router.post("/v1/tasks/{task_id}/complete", responses=problem_responses(401, 403, 404, 409, 422))
async def complete_task(task_id: str, body: TaskComplete, uow: UowDep, ctx: ContextDep) -> TaskRead:
    return await plan.complete_task(uow=uow, ctx=ctx, task_id=task_id, cmd=body)


@router.post(
    "/v1/roster/{bed_id}/plan-items",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
async def add_plan_item(
    bed_id: str, body: PlanItemCreate, uow: UowDep, ctx: ContextDep
) -> PlanItemRead:
    return await plan.add_plan_item(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)


@router.get("/v1/roster/{bed_id}/plan-items", responses=problem_responses(401, 403, 404))
async def list_plan_items(bed_id: str, uow: UowDep, ctx: ContextDep) -> list[PlanItemRead]:
    return await plan.list_plan_items(uow=uow, ctx=ctx, bed_id=bed_id)
