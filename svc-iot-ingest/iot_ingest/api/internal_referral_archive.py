"""Internal route for svc-referral's archive package (service principal; never routed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from iot_ingest.service import referral_archive

router = APIRouter(prefix="/internal/v1/referral-archive", tags=["internal"])
CATEGORY = "(vitals|alarms)"


@router.get("/beds/{bed_id}", responses=problem_responses(401, 403, 422))
async def bed_referral_archive(
    bed_id: str,
    uow: UowDep,
    ctx: ContextDep,
    categories: Annotated[
        str,
        Query(
            pattern=f"^{CATEGORY}(,{CATEGORY})*$",
            max_length=32,
            description="comma-separated: what the elder's consent covers",
        ),
    ],
    days: Annotated[int, Query(ge=1, le=90, description="how far back")] = 30,
) -> referral_archive.ReferralArchiveIot:
    wanted = set(categories.split(","))
    return await referral_archive.referral_archive(
        uow=uow,
        ctx=ctx,
        bed_id=bed_id,
        vitals="vitals" in wanted,
        with_alarms="alarms" in wanted,
        days=days,
    )
