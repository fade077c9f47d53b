"""`POST /v1/eligibility/check`: the public policy calculator (no login; gateway rate-limits)."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.problems import problem_responses
from intake.api.deps import TodayDep
from intake.schemas.eligibility import EligibilityCheck, EligibilityRead
from intake.service.eligibility import check_eligibility

router = APIRouter(tags=["eligibility"])


@router.post("/v1/eligibility/check", responses=problem_responses(422))
async def eligibility_check(body: EligibilityCheck, today: TodayDep) -> EligibilityRead:
    return check_eligibility(body, today=today)
