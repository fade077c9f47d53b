"""Batch routes: an officer runs a county's month and takes a set of settlements through
submission, approval and payment, one transaction per step (maker-checker per settlement)."""

from __future__ import annotations

from fastapi import APIRouter

from chassis.api import ContextDep, UowDep
from chassis.problems import problem_responses
from subsidy.api.deps import ProfilesDep
from subsidy.schemas.batches import CountyRun, PaymentBatch, SettlementBatchRead, SettlementIds
from subsidy.service import settlement_batch

router = APIRouter(prefix="/v1/settlement-batches", tags=["settlements"])


@router.post("/runs", responses=problem_responses(401, 403, 422))
async def run_county(
    body: CountyRun, uow: UowDep, ctx: ContextDep, profiles: ProfilesDep
) -> SettlementBatchRead:
    return await settlement_batch.run_county(
        uow=uow, ctx=ctx, cmd=body, profile=profiles(body.jurisdiction)
    )


@router.post("/submissions", responses=problem_responses(401, 403, 404, 409, 422))
async def submit_settlements(
    body: SettlementIds, uow: UowDep, ctx: ContextDep
) -> SettlementBatchRead:
    return await settlement_batch.submit_settlements(uow=uow, ctx=ctx, ids=body.settlement_ids)


@router.post("/approvals", responses=problem_responses(401, 403, 404, 409, 422))
async def approve_settlements(
    body: SettlementIds, uow: UowDep, ctx: ContextDep
) -> SettlementBatchRead:
    return await settlement_batch.approve_settlements(uow=uow, ctx=ctx, ids=body.settlement_ids)


@router.post("/payment-confirmations", responses=problem_responses(401, 403, 404, 409, 422))
async def confirm_payments(body: PaymentBatch, uow: UowDep, ctx: ContextDep) -> SettlementBatchRead:
    return await settlement_batch.confirm_payments(uow=uow, ctx=ctx, cmd=body)
