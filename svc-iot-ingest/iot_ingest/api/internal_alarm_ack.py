"""Internal route for svc-notify: acknowledge an alarm for the person who replied to its SMS
(service principal ops + scope `alarm_ack`; the gateway routes no /internal)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from iot_ingest.service import internal_ack

router = APIRouter(prefix="/internal/v1/alarms", tags=["internal"])


@router.post("/{alarm_id}/acknowledge", responses=problem_responses(401, 403, 404, 409, 422))
async def acknowledge_for(
    alarm_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: internal_ack.InternalAcknowledge,
    uow: UowDep,
    ctx: ContextDep,
) -> internal_ack.InternalAcknowledged:
    return await internal_ack.acknowledge_for(uow=uow, ctx=ctx, alarm_id=alarm_id, cmd=body)
