"""Settlement routes: runs and dry runs, reads, maker-checker transitions, payment, clawback."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from subsidy.api.deps import ProfilesDep
from subsidy.schemas.settlements import (
    ClawbackRead,
    ClawbackRecovery,
    LineClawback,
    PaymentConfirmation,
    RecoveryRead,
    SettlementDiffRead,
    SettlementLineRead,
    SettlementRead,
    SettlementRejection,
    SettlementRun,
    SettlementSummary,
)
from subsidy.service import reads, recovery, settlement_flow, settlement_run

router = APIRouter(prefix="/v1/settlements", tags=["settlements"])


@router.post("", responses=problem_responses(401, 403, 409, 422))
async def run_settlement(
    body: SettlementRun, uow: UowDep, ctx: ContextDep, profiles: ProfilesDep
) -> SettlementRead:
    return await settlement_run.run_settlement(
        uow=uow, ctx=ctx, cmd=body, profile=profiles(body.jurisdiction)
    )


@router.post("/dry-run", responses=problem_responses(401, 403, 422))
async def dry_run(
    body: SettlementRun, uow: UowDep, ctx: ContextDep, profiles: ProfilesDep
) -> SettlementDiffRead:
    return await settlement_run.dry_run(
        uow=uow, ctx=ctx, cmd=body, profile=profiles(body.jurisdiction)
    )


@router.get("", responses=problem_responses(401, 403, 422))
async def list_settlements(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    status: Annotated[Literal["draft", "submitted", "approved", "paid"] | None, Query()] = None,
    provider_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[SettlementSummary]:
    return await reads.list_settlements(
        uow=uow,
        ctx=ctx,
        period=period,
        status=status,
        provider_id=provider_id,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{settlement_id}", responses=problem_responses(401, 403, 404))
async def get_settlement(settlement_id: str, uow: UowDep, ctx: ContextDep) -> SettlementRead:
    return await reads.get_settlement(uow=uow, ctx=ctx, settlement_id=settlement_id)


@router.get("/{settlement_id}/lines", responses=problem_responses(401, 403, 404, 422))
async def list_lines(
    settlement_id: str, uow: UowDep, ctx: ContextDep, page: PageDep
) -> Page[SettlementLineRead]:
    return await reads.list_lines(
        uow=uow, ctx=ctx, settlement_id=settlement_id, limit=page.limit, offset=page.offset
    )


@router.post("/{settlement_id}/submission", responses=problem_responses(401, 403, 404, 409))
async def submit_settlement(settlement_id: str, uow: UowDep, ctx: ContextDep) -> SettlementRead:
    return await settlement_flow.submit_settlement(uow=uow, ctx=ctx, settlement_id=settlement_id)


@router.post("/{settlement_id}/approval", responses=problem_responses(401, 403, 404, 409))
async def approve_settlement(settlement_id: str, uow: UowDep, ctx: ContextDep) -> SettlementRead:
    return await settlement_flow.approve_settlement(uow=uow, ctx=ctx, settlement_id=settlement_id)


@router.post("/{settlement_id}/rejection", responses=problem_responses(401, 403, 404, 409, 422))
async def reject_settlement(
    settlement_id: str, body: SettlementRejection, uow: UowDep, ctx: ContextDep
) -> SettlementRead:
    return await settlement_flow.reject_settlement(
        uow=uow, ctx=ctx, settlement_id=settlement_id, cmd=body
    )


@router.get(
    "/{settlement_id}/payment-file",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV"},
        **problem_responses(401, 403, 404, 409),
    },
)
async def payment_file(settlement_id: str, uow: UowDep, ctx: ContextDep) -> Response:
    text = await settlement_flow.payment_file(uow=uow, ctx=ctx, settlement_id=settlement_id)
    return Response(
        content=text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{settlement_id}.csv"'},
    )


@router.post(
    "/{settlement_id}/payment-confirmation", responses=problem_responses(401, 403, 404, 409, 422)
)
async def confirm_payment(
    settlement_id: str, body: PaymentConfirmation, uow: UowDep, ctx: ContextDep
) -> SettlementRead:
    return await settlement_flow.confirm_payment(
        uow=uow, ctx=ctx, settlement_id=settlement_id, cmd=body
    )


@router.post(
    "/{settlement_id}/lines/{line_id}/clawback",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def claw_back_line(
    settlement_id: str, line_id: str, body: LineClawback, uow: UowDep, ctx: ContextDep
) -> ClawbackRead:
    return await settlement_flow.claw_back_line(
        uow=uow, ctx=ctx, settlement_id=settlement_id, line_id=line_id, cmd=body
    )


@router.post(
    "/{settlement_id}/lines/{line_id}/recovery",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def recover_clawback(
    settlement_id: str, line_id: str, body: ClawbackRecovery, uow: UowDep, ctx: ContextDep
) -> RecoveryRead:
    return await recovery.recover_clawback(
        uow=uow, ctx=ctx, settlement_id=settlement_id, line_id=line_id, cmd=body
    )
