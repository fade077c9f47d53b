"""Care-worker routes of a provider."""

from __future__ import annotations

from fastapi import APIRouter, status

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.domain.vocabulary import WorkerRole
from service_records.schemas.workers import WorkerCreate, WorkerRead, WorkerSummary, WorkerUpdate
from service_records.service import workers

router = APIRouter(prefix="/v1/workers", tags=["workers"])


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses=problem_responses(401, 403, 409, 422)
)
async def create_worker(body: WorkerCreate, uow: UowDep, ctx: ContextDep) -> WorkerRead:
    return await workers.create_worker(uow=uow, ctx=ctx, cmd=body)


@router.get("", responses=problem_responses(401, 403, 422))
async def list_workers(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    role: WorkerRole | None = None,
    active: bool | None = None,
) -> Page[WorkerSummary]:
    return await workers.list_workers(
        uow=uow, ctx=ctx, role=role, active=active, limit=page.limit, offset=page.offset
    )


@router.get("/{worker_id}", responses=problem_responses(401, 404))
async def get_worker(worker_id: str, uow: UowDep, ctx: ContextDep) -> WorkerRead:
    return await workers.get_worker(uow=uow, ctx=ctx, worker_id=worker_id)


@router.patch("/{worker_id}", responses=problem_responses(401, 403, 404, 409, 422))
async def update_worker(
    worker_id: str, body: WorkerUpdate, uow: UowDep, ctx: ContextDep
) -> WorkerRead:
    return await workers.update_worker(uow=uow, ctx=ctx, worker_id=worker_id, cmd=body)
