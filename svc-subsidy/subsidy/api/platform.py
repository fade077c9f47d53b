"""Platform acceptances (002 §八3): an officer records that a provider's platform passed."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from subsidy.schemas.settlements import PlatformAcceptance, PlatformAcceptanceRead
from subsidy.service import platform

router = APIRouter(prefix="/v1/platform-acceptances", tags=["settlements"])


@router.post("", responses=problem_responses(401, 403, 409, 422))
async def record_platform_acceptance(
    body: PlatformAcceptance, uow: UowDep, ctx: ContextDep
) -> PlatformAcceptanceRead:
    return await platform.record_platform_acceptance(uow=uow, ctx=ctx, cmd=body)
