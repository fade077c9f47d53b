"""Internal route for svc-referral's archive package (service principal; never routed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import UowDep
from chassis.problems import problem_responses
from intake.api.deps import IntakeContextDep
from intake.schemas.referral_archive import ReferralArchiveRead
from intake.service import referral_archive

router = APIRouter(prefix="/internal/v1/referral-archive", tags=["internal"])
CATEGORY = "(basic_info|identity|assessment|care_plan)"


@router.get("/beds/{bed_id}", responses=problem_responses(401, 403, 404, 422))
async def bed_referral_archive(
    bed_id: str,
    uow: UowDep,
    ctx: IntakeContextDep,
    categories: Annotated[
        str,
        Query(
            pattern=f"^{CATEGORY}(,{CATEGORY})*$",
            max_length=64,
            description="comma-separated: what the elder's consent covers",
        ),
    ],
) -> ReferralArchiveRead:
    wanted = set(categories.split(","))
    return await referral_archive.referral_archive(
        uow=uow,
        ctx=ctx,
        bed_id=bed_id,
        basic_info="basic_info" in wanted,
        identity="identity" in wanted,
        assessment="assessment" in wanted,
        care_plan="care_plan" in wanted,
    )
