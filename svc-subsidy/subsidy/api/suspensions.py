"""Payment suspensions of beds (set by a clawback): an officer of the region lifts one."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from subsidy.schemas.settlements import SuspensionLiftedRead, SuspensionLifting
from subsidy.service import recovery

router = APIRouter(prefix="/v1/payment-suspensions", tags=["settlements"])


@router.post("/{bed_id}/lifting", responses=problem_responses(401, 403, 404, 409, 422))
async def lift_suspension(
    bed_id: str, body: SuspensionLifting, uow: UowDep, ctx: ContextDep
) -> SuspensionLiftedRead:
    return await recovery.lift_suspension(uow=uow, ctx=ctx, bed_id=bed_id, cmd=body)
