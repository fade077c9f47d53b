"""Archive routes: a bed's service archive for people, and the same for other services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from service_records.schemas.archive import ArchiveEntryRead
from service_records.service import archive

router = APIRouter(tags=["archive"])
Kind = Annotated[str | None, Query(max_length=16, description="visit|observation|alarm|bed")]


@router.get("/v1/archive/{bed_id}", responses=problem_responses(401, 403, 404, 422))
async def bed_archive(
    bed_id: str, uow: UowDep, ctx: ContextDep, page: PageDep, kind: Kind = None
) -> Page[ArchiveEntryRead]:
    return await archive.bed_archive(
        uow=uow, ctx=ctx, bed_id=bed_id, kind=kind, limit=page.limit, offset=page.offset
    )


@router.get("/internal/v1/archive/{bed_id}", responses=problem_responses(401, 403, 404, 422))
async def internal_archive(
    bed_id: str, uow: UowDep, ctx: ContextDep, page: PageDep, kind: Kind = None
) -> Page[ArchiveEntryRead]:
    return await archive.internal_archive(
        uow=uow, ctx=ctx, bed_id=bed_id, kind=kind, limit=page.limit, offset=page.offset
    )
