"""Referral routes: send, act on, read, list, history (`/v1/referrals…`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response

from chassis.api import ContextDep, PageDep, UowDep
from chassis.dto import Page
from chassis.problems import problem_responses
from referral.schemas.referrals import (
    HistoryRead,
    ReferralAction,
    ReferralCreate,
    ReferralRead,
    ReferralSummary,
)
from referral.service import referrals
from referral.service.idempotency import Outcome

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=255,
        description="Stripe semantics: the same key and body replay the first answer",
    ),
]


def _answer(outcome: Outcome[ReferralRead], response: Response) -> ReferralRead:
    response.status_code = outcome.status_code
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return outcome.answer


@router.post(
    "",
    status_code=201,
    responses={
        200: {"model": ReferralRead, "description": "a replayed answer (Idempotency-Key)"},
        **problem_responses(403, 404, 409, 413),
    },
)
async def create_referral(
    body: ReferralCreate,
    uow: UowDep,
    ctx: ContextDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReferralRead:
    outcome = await referrals.create_referral(
        uow=uow, ctx=ctx, cmd=body, idempotency_key=idempotency_key
    )
    return _answer(outcome, response)


@router.get("", responses=problem_responses(403))
async def list_referrals(
    uow: UowDep,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=16)] = None,
    path: Annotated[str | None, Query(max_length=32)] = None,
    role: Annotated[str | None, Query(max_length=16, description="inbound | outbound")] = None,
    updated_after: datetime | None = None,
) -> Page[ReferralSummary]:
    return await referrals.list_referrals(
        uow=uow,
        ctx=ctx,
        status=status,
        path=path,
        role=role,
        updated_after=updated_after,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{referral_id}", responses=problem_responses(404))
async def get_referral(referral_id: str, uow: UowDep, ctx: ContextDep) -> ReferralRead:
    return await referrals.get_referral(uow=uow, ctx=ctx, referral_id=referral_id)


@router.get("/{referral_id}/history", responses=problem_responses(404))
async def referral_history(referral_id: str, uow: UowDep, ctx: ContextDep) -> list[HistoryRead]:
    return await referrals.referral_history(uow=uow, ctx=ctx, referral_id=referral_id)


@router.post(
    "/{referral_id}/actions/{action}",
    responses=problem_responses(403, 404, 409, 413),
)
async def act_on_referral(
    referral_id: str,
    action: Annotated[
        str,
        # a plain string: an unknown action is a 409 listing the allowed ones
        Path(
            max_length=32,
            description="receive | accept | reject | start | complete | fail | hold | resume | "
            "cancel | end_service | set_business_status",
        ),
    ],
    body: ReferralAction,
    uow: UowDep,
    ctx: ContextDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ReferralRead:
    outcome = await referrals.act_on_referral(
        uow=uow,
        ctx=ctx,
        referral_id=referral_id,
        action=action,
        cmd=body,
        idempotency_key=idempotency_key,
    )
    return _answer(outcome, response)
