"""The provider's workers alarms may be dispatched to (fed by its admins); never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from chassis.upsert import upsert
from iot_ingest.tables import workers


@dataclass(frozen=True)
class Worker:
    provider_id: str
    worker_id: str
    display_name: str
    active: bool
    updated_by: str
    updated_at: datetime


class WorkerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, provider_id: str, worker_id: str) -> Worker | None:
        row = (
            await self.session.execute(
                select(workers).where(
                    workers.c.provider_id == provider_id, workers.c.worker_id == worker_id
                )
            )
        ).first()
        return None if row is None else Worker(**row._mapping)

    async def save(self, worker: Worker) -> None:
        row = {
            "provider_id": worker.provider_id,
            "worker_id": worker.worker_id,
            "display_name": worker.display_name,
            "active": worker.active,
            "updated_by": worker.updated_by,
            "updated_at": worker.updated_at,
        }
        await upsert(self.session, workers, [row], keys=["provider_id", "worker_id"])

    async def page(
        self, provider_id: str | None, *, limit: int, offset: int
    ) -> tuple[list[Worker], int]:
        where = [] if provider_id is None else [workers.c.provider_id == provider_id]
        total = await self.session.scalar(select(func.count()).select_from(workers).where(*where))
        rows = (
            await self.session.execute(
                select(workers)
                .where(*where)
                .order_by(workers.c.provider_id, workers.c.worker_id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return [Worker(**r._mapping) for r in rows], int(total or 0)
