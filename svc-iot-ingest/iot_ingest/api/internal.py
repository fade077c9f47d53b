"""Internal routes for other services (not routed by the gateway)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from iot_ingest.schemas import BedActivityRead
from iot_ingest.service import activity

router = APIRouter(tags=["internal"])


@router.get("/internal/beds/{bed_id}/activity", responses=problem_responses(401, 403, 422))
async def bed_activity(
    bed_id: str,
    uow: UowDep,
    ctx: ContextDep,
    since: Annotated[datetime, Query(alias="from")],
    until: Annotated[datetime, Query(alias="to")],
) -> BedActivityRead:
    """Did the bed's presence sensors see activity in the window (a visit's corroboration)?"""
    return await activity.bed_activity(uow=uow, ctx=ctx, bed_id=bed_id, since=since, until=until)
