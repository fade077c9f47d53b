"""The delivery record (officers: their regions; provider admins: their provider; ops)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from chassis.api import ContextDep, PageDep, UowDep
from chassis.problems import problem_responses
from notify.schemas import AlarmDeliveryRecord, DeliveryPage
from notify.service import deliveries

router = APIRouter(prefix="/v1/notification-deliveries", tags=["deliveries"])
Status = Literal["pending", "held", "sent", "digested", "failed", "cancelled", "unroutable"]


@router.get("", responses=problem_responses(401, 403, 422))
async def list_deliveries(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[Status | None, Query(description="e.g. failed")] = None,
) -> DeliveryPage:
    return await deliveries.list_deliveries(
        uow=uow, ctx=ctx, status=status, limit=page.limit, offset=page.offset
    )


@router.get("/alarms/{alarm_id}", responses=problem_responses(401, 403, 404, 422))
async def alarm_record(
    alarm_id: Annotated[str, Path(min_length=1, max_length=64)], uow: UowDep, ctx: ContextDep
) -> AlarmDeliveryRecord:
    """Who was told what and when about one alarm, through which channel, and who acknowledged."""
    return await deliveries.alarm_record(uow=uow, ctx=ctx, alarm_id=alarm_id)
