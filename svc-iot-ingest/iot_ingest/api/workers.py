"""The provider's workers alarms may be dispatched to (its admins keep the list)."""

from __future__ import annotations

from fastapi import APIRouter, Path

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from iot_ingest.schemas import WorkerRead, WorkerUpdate
from iot_ingest.service import workers

router = APIRouter(tags=["workers"])
WorkerId = Path(min_length=1, max_length=200)


@router.put("/v1/dispatch-workers/{worker_id}", responses=problem_responses(401, 403, 422))
async def put_worker(
    body: WorkerUpdate, uow: UowDep, ctx: ContextDep, worker_id: str = WorkerId
) -> WorkerRead:
    return await workers.put_worker(uow=uow, ctx=ctx, worker_id=worker_id, cmd=body)


@router.get("/v1/dispatch-workers", responses=problem_responses(401, 403, 422))
async def list_workers(uow: UowDep, ctx: ContextDep, page: PageDep) -> Page[WorkerRead]:
    return await workers.list_workers(uow=uow, ctx=ctx, limit=page.limit, offset=page.offset)
