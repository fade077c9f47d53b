"""The provider's worker registry: who alarms may be dispatched to (issue 10 item 11).

iot-ingest keeps its own small registry, fed by the provider's admins, instead of calling
svc-service-records' workers on the alarm lane (no cross-service call where a fall is handled).
Internal note: when service-records publishes worker events, this registry should be fed by
them and the PUT retired.
"""

from __future__ import annotations

from chassis.context import RequestContext
from chassis.db import UnitOfWork
from chassis.dto import Page
from iot_ingest.repository.workers import Worker, WorkerRepository
from iot_ingest.schemas import WorkerRead, WorkerUpdate
from iot_ingest.service.access import provider_scope, require_provider_admin


async def put_worker(
    *, uow: UnitOfWork, ctx: RequestContext, worker_id: str, cmd: WorkerUpdate
) -> WorkerRead:
    """Add or change one of the provider's workers (`worker_id` is their principal `sub`)."""
    require_provider_admin(ctx.principal)
    provider_id = provider_scope(ctx.principal)
    assert provider_id is not None  # a provider admin always has one
    worker = Worker(
        provider_id=provider_id,
        worker_id=worker_id,
        display_name=cmd.display_name,
        active=cmd.active,
        updated_by=ctx.principal.sub,
        updated_at=ctx.now,
    )
    async with uow:
        await uow.repo(WorkerRepository).save(worker)
        await uow.commit()
        return worker_read(worker)


async def list_workers(
    *, uow: UnitOfWork, ctx: RequestContext, limit: int, offset: int
) -> Page[WorkerRead]:
    """The provider's workers (ops: all)."""
    scope = provider_scope(ctx.principal)
    async with uow:
        found, total = await uow.repo(WorkerRepository).page(scope, limit=limit, offset=offset)
        return Page(items=[worker_read(w) for w in found], total=total, limit=limit, offset=offset)


def worker_read(worker: Worker) -> WorkerRead:
    return WorkerRead(
        provider_id=worker.provider_id,
        worker_id=worker.worker_id,
        display_name=worker.display_name,
        active=worker.active,
        updated_by=worker.updated_by,
        updated_at=worker.updated_at,
    )
