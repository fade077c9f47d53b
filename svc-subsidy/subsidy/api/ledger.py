"""Ledger routes: the trial balance."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from subsidy.schemas.ledger import TrialBalanceRead
from subsidy.service import ledger

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("/trial-balance", responses=problem_responses(401, 403))
async def trial_balance(uow: UowDep, ctx: ContextDep) -> TrialBalanceRead:
    return await ledger.read_trial_balance(uow=uow, ctx=ctx)
