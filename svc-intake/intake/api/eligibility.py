"""`POST /v1/eligibility/check`: the public policy calculator (no login; gateway rate-limits)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from intake.api.deps import now_from
from intake.schemas.eligibility import EligibilityCheck, EligibilityRead, RuleRead
from intake.service.context import SHANGHAI
from intake.service.eligibility import check_eligibility

router = APIRouter(tags=["eligibility"])


@router.post("/v1/eligibility/check")
async def eligibility_check(body: EligibilityCheck, request: Request) -> EligibilityRead:
    today = now_from(request).astimezone(SHANGHAI).date()
    result = check_eligibility(body, today=today)
    return EligibilityRead(
        eligible=result.eligible,
        priority=result.priority,
        unmet=list(result.unmet),
        rules=[
            RuleRead(id=o.id, passed=o.passed, citation=o.citation, reason=o.reason, basis=o.basis)
            for o in result.rules
        ],
        age=result.age,
    )
